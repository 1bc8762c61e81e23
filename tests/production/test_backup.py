"""``relais backup`` then ``relais restore`` on a new database gives back the same data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_BASE, PG_SKIP_REASON
from tests.production.helpers import relais, snapshot


def _backup(env: dict[str, str], cwd: Path) -> Path:
    done = relais("backup", "--dossier", str(cwd / "sauvegardes"), cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    assert "Sauvegarde écrite" in done.stdout
    [file] = [p for p in (cwd / "sauvegardes").iterdir() if p.suffix in (".sqlite", ".dump")]
    assert file.stat().st_mode & 0o077 == 0
    return file


def _fill(env: dict[str, str], cwd: Path) -> None:
    for args in (("demo",), ("network", "add", "Réseau réel – 94", "--departement", "94")):
        done = relais(*args, cwd=cwd, env=env)
        assert done.returncode == 0, done.stderr


def test_sqlite_round_trip(tmp_path: Path) -> None:
    old, new = tmp_path / "ancien", tmp_path / "nouveau"
    old.mkdir()
    new.mkdir()
    (old / ".env").write_text(
        "DATABASE_URL=sqlite:///relais.db\nSECRET_KEY=cle-de-test-assez-longue\n"
    )
    _fill({"RELAIS_HOME": str(old)}, old)
    file = _backup({"RELAIS_HOME": str(old)}, old)
    settings_copy = file.with_suffix(".env")
    assert "SECRET_KEY=cle-de-test-assez-longue" in settings_copy.read_text()

    restored = relais("restore", str(file), cwd=new, env={"RELAIS_HOME": str(new)})
    assert restored.returncode == 0, restored.stderr
    assert snapshot(f"sqlite:///{new / 'relais.db'}") == snapshot(f"sqlite:///{old / 'relais.db'}")

    again = relais("restore", str(file), cwd=new, env={"RELAIS_HOME": str(new)})
    assert again.returncode == 1
    assert "contient déjà des données" in again.stderr and "--force" in again.stderr


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, sa.Engine]]:
    if PG_SKIP_REASON:
        pytest.skip(PG_SKIP_REASON)
    schema = f"relais_backup_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema, admin
    finally:
        with admin.connect() as connection:
            for name in (schema, f"{schema}_origine"):
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def test_postgresql_round_trip(pg_schema: tuple[str, sa.Engine], tmp_path: Path) -> None:
    schema, admin = pg_schema
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    env = {"DATABASE_URL": url, "RELAIS_HOME": str(tmp_path)}
    assert relais("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    _fill(env, tmp_path)
    before = snapshot(url)
    file = _backup(env, tmp_path)

    with admin.connect() as connection:  # the old database is gone; a new one is empty
        connection.execute(sa.text(f'ALTER SCHEMA "{schema}" RENAME TO "{schema}_origine"'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    restored = relais("restore", str(file), cwd=tmp_path, env=env)
    assert restored.returncode == 0, restored.stderr
    assert snapshot(url) == before

    refused = relais("restore", str(file), cwd=tmp_path, env=env)
    assert refused.returncode == 1 and "--force" in refused.stderr
    forced = relais("restore", str(file), "--force", cwd=tmp_path, env=env)
    assert forced.returncode == 0, forced.stderr
    assert snapshot(url) == before
    added = relais("network", "add", "Réseau après restauration", cwd=tmp_path, env=env)
    assert added.returncode == 0, added.stderr  # sequences came back with the rows


def test_wrong_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("pas une sauvegarde")
    env = {"RELAIS_HOME": str(tmp_path)}
    result = relais("restore", str(tmp_path / "notes.txt"), cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "n'est pas une sauvegarde de Relais" in result.stderr
