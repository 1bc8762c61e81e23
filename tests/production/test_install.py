"""``deploy/install.sh`` in a temporary prefix: the production layout, found from any folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _install(prefix: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RELAIS_", "DATABASE_", "ENVIRONMENT"))},
        "PREFIX": str(prefix / "opt"), "CONFIG_DIR": str(prefix / "etc"),
        "DATA_DIR": str(prefix / "data"), "BACKUP_DIR": str(prefix / "sauvegardes"),
        "BIN_DIR": str(prefix / "bin"),
    }  # fmt: skip
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / "install.sh"), "--sans-systeme", "--domaine", "relais.crpv.test"],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_install_then_use_from_anywhere(tmp_path: Path) -> None:
    first = _install(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "WARNING" not in first.stdout + first.stderr  # pip stays quiet
    config = tmp_path / "etc" / "relais.env"
    assert config.stat().st_mode & 0o777 == 0o600
    settings = dict(
        line.split("=", 1)
        for line in config.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert settings["ENVIRONMENT"] == "production"
    assert settings["PUBLIC_BASE_URL"] == "https://relais.crpv.test"
    assert len(settings["SECRET_KEY"]) >= 40
    assert (tmp_path / "data" / "relais.db").exists()
    dev_tools = subprocess.run(
        [tmp_path / "opt" / "venv" / "bin" / "pip", "list"], capture_output=True, text=True
    ).stdout
    assert "pytest" not in dev_tools and "ruff" not in dev_tools

    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RELAIS_", "DATABASE_", "ENVIRONMENT"))
    }
    command = str(tmp_path / "bin" / "relais")
    listed = subprocess.run(
        [command, "event", "list"], cwd=elsewhere, env=clean, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert "Aucun événement à venir." in listed.stdout
    demo = subprocess.run(
        [command, "demo"], cwd=elsewhere, env=clean, capture_output=True, text=True
    )
    assert demo.returncode == 1 and "en production" in demo.stderr
    assert list(elsewhere.iterdir()) == []

    again = _install(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "fichier existant gardé tel quel" in again.stdout
    assert f"SECRET_KEY={settings['SECRET_KEY']}" in config.read_text()
