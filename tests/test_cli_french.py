"""The command line speaks French, including its help screens and usage errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _relais(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120", "DATABASE_URL": f"sqlite:///{cwd}/cli.db"}
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True, text=True, cwd=str(cwd), env=env, check=False,
    )  # fmt: skip


def test_help_is_french(tmp_path: Path) -> None:
    result = _relais("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Utilisation : relais" in result.stdout and "Commandes" in result.stdout
    assert "Afficher cette aide." in result.stdout
    assert "Show this message" not in result.stdout


def test_help_names_values_in_french(tmp_path: Path) -> None:
    """Option values are « texte » or « nombre », and a flag shows no value at all."""
    result = _relais("event", "add", "--help", cwd=tmp_path)
    assert result.returncode == 0
    brouillon = next(line for line in result.stdout.splitlines() if "--brouillon" in line)
    assert "<" not in brouillon
    assert "<nombre>" in result.stdout and "<texte, répétable>" in result.stdout
    for english in ("<str>", "<int>", "<bool>", "list["):
        assert english not in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("event", "show"), "Argument manquant : « code »."),
        (("event", "add", "--places", "abc"), "nombre entier attendu"),
        (("evnt",), "Commande « evnt » inconnue."),
        (("event", "list", "--nope"), "Option inconnue"),
    ],
)
def test_usage_errors_are_french(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    result = _relais(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("target", "expected"), [("absent.csv", "fichier introuvable"), (".", "c'est un dossier")]
)
def test_unreadable_import_file_is_explained(tmp_path: Path, target: str, expected: str) -> None:
    assert _relais("db", "upgrade", cwd=tmp_path).returncode == 0  # no database is made silently
    result = _relais("event", "import", target, cwd=tmp_path)
    assert result.returncode == 1
    assert expected in result.stderr
