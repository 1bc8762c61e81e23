"""Run the real ``relais`` command as an operator would, and read a database whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

#: Variables the test process sets for in-process tests; a subprocess must not inherit them.
_PRIVATE = ("DATABASE_URL", "MAIL_OUTBOX_DIR", "RELAIS_HOME", "RELAIS_CONFIG", "ENVIRONMENT")


def relais(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``relais ARGS`` in ``cwd``, with only the given settings (plus PATH and friends)."""
    base = {key: value for key, value in os.environ.items() if key not in _PRIVATE}
    base["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def snapshot(url: str) -> dict[str, set[tuple[str, ...]]]:
    """Every row of every table, as text, to compare two states of a database exactly."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {
                name: {
                    tuple(str(value) for value in row)
                    for row in connection.execute(sa.text(f'SELECT * FROM "{name}"'))
                }
                for name in tables
            }
    finally:
        engine.dispose()
