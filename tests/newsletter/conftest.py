"""Shared helpers for the newsletter tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The ``relais`` command run in-process against the test database (wide tables)."""
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()
