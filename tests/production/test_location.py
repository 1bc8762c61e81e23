"""Run from any folder, ``relais`` finds its installation; it never creates an empty database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.production.helpers import relais


def test_another_folder_uses_the_installation(tmp_path: Path) -> None:
    home = tmp_path / "installation"
    home.mkdir()
    (home / ".env").write_text("DATABASE_URL=sqlite:///relais.db\nMAIL_OUTBOX_DIR=outbox\n")
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    env = {"RELAIS_HOME": str(home)}
    created = relais("demo", cwd=home, env=env)
    assert created.returncode == 0, created.stderr
    assert (home / "relais.db").exists()

    listed = relais("event", "list", cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "Rencontre du réseau des médiateurs adultes-relais" in listed.stdout
    assert list(elsewhere.iterdir()) == []


def test_config_file_names_the_home(tmp_path: Path) -> None:
    """The installer's layout: settings in /etc/relais, data in /var/lib/relais."""
    etc, data, elsewhere = tmp_path / "etc", tmp_path / "data", tmp_path / "ailleurs"
    for folder in (etc, data, elsewhere):
        folder.mkdir()
    config = etc / "relais.env"
    config.write_text(f"RELAIS_HOME={data}\nDATABASE_URL=sqlite:///relais.db\n")
    upgraded = relais("db", "upgrade", cwd=elsewhere, env={"RELAIS_CONFIG": str(config)})
    assert upgraded.returncode == 0, upgraded.stderr
    assert (data / "relais.db").exists()
    assert list(elsewhere.iterdir()) == []


def test_missing_database_is_named_not_created(tmp_path: Path) -> None:
    result = relais("event", "list", cwd=tmp_path, env={"RELAIS_HOME": str(tmp_path)})
    assert result.returncode == 3
    assert f"Aucune base de données dans {tmp_path / 'relais.db'}" in result.stderr
    assert "aucun fichier de réglages trouvé" in result.stderr
    assert "relais db upgrade" in result.stderr
    assert not (tmp_path / "relais.db").exists()


def test_empty_database_is_not_filled_silently(tmp_path: Path) -> None:
    (tmp_path / "relais.db").write_bytes(b"")
    (tmp_path / ".env").write_text("ENVIRONMENT=development\n")
    result = relais("stats", cwd=tmp_path, env={"RELAIS_HOME": str(tmp_path)})
    assert result.returncode == 3
    assert "ne contient pas les tables de Relais" in result.stderr
    assert f"réglages lus dans {tmp_path / '.env'}" in result.stderr
    with sqlite3.connect(tmp_path / "relais.db") as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
