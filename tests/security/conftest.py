"""``relais run`` as a subprocess, for tests that knock on its doors over real HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.mail.conftest import SmtpRecorder, serve_smtp

LISTENING = re.compile(r"pages web servies sur (http://\S+)")


@dataclass
class RunningRelais:
    process: subprocess.Popen[str]
    base_url: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> str:
        """SIGTERM, wait, and the whole output (it must end cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        return self.output


def _collect(running: RunningRelais) -> None:
    assert running.process.stdout is not None
    for line in running.process.stdout:
        running.lines.append(line)


def start_relais(tmp_path: Path, **env: str) -> RunningRelais:
    """``python -m relais run`` on a free port, returned once its web pages answer."""
    environment = {
        **os.environ,
        "WEB_PORT": "0",
        "TELEGRAM_BOT_TOKEN": "",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SECRET_KEY": "",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "run"],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    running = RunningRelais(process)
    threading.Thread(target=_collect, args=(running,), daemon=True).start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        found = LISTENING.search(running.output)
        if found:
            running.base_url = found.group(1)
            return running
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"relais run did not serve its web pages:\n{running.output}")


@pytest.fixture
def relais_run(tmp_path: Path, db_url: str) -> Iterator[RunningRelais]:
    """``relais run`` on the test database (SQLite and PostgreSQL), SECRET_KEY empty."""
    running = start_relais(tmp_path, DATABASE_URL=db_url)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=30)


@pytest.fixture
def smtp_server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpRecorder]:
    """A real aiosmtpd on loopback, the mail plugins subscribed (header and relay tests)."""
    from relais.plugins import subscribe_all

    subscribe_all()
    yield from serve_smtp(monkeypatch, MAIL_FROM="CRPV Relais <relais@crpv.example>")
