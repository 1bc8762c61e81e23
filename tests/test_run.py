"""`relais run` migrates, starts, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa


def test_run_migrates_and_stops_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "run.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "WEB_PORT": "0",
        "TELEGRAM_BOT_TOKEN": "",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "run"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _migrated(database):
            time.sleep(0.2)
        assert _migrated(database), "relais run did not create the schema"
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Relais arrêté proprement." in output
    assert "Traceback" not in output


def _migrated(database: Path) -> bool:
    if not database.exists():
        return False
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return bool(sa.inspect(connection).has_table("alembic_version")) and (
                connection.execute(sa.text("select count(*) from alembic_version")).scalar() == 1
            )
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()
