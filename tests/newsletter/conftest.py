"""Shared helpers for the newsletter tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The ``relais`` command run in-process against the test database (wide tables)."""
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


GOLDEN = Path(__file__).parent.parent / "golden" / "newsletter"


def assert_golden(name: str, actual: str) -> None:
    """Compare with ``tests/golden/newsletter/<name>``; ``UPDATE_GOLDEN=1`` rewrites it."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
