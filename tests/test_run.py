"""`relais run` migrates, starts, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
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
    assert "info relais : envoi des e-mails démarré" in output
    assert "pages web démarrées" in output
    assert " started" not in output and "INFO" not in output


def test_second_instance_on_a_busy_port_is_refused(tmp_path: Path) -> None:
    """« git pull; make run » next to a running service: a French sentence, not a crash."""
    with socket.socket() as running:
        running.bind(("127.0.0.1", 0))
        running.listen()
        port = running.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
               "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), "TELEGRAM_BOT_TOKEN": ""}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "relais", "run"], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 4
    assert (
        f"Le port {port} (127.0.0.1) est déjà occupé : Relais tourne sans doute déjà"
        in result.stderr
    )
    assert "PUBLIC_BASE_URL" in result.stderr  # the e-mails' links must follow the new port


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
