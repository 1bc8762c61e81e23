"""Killing ``relais newsletter send`` mid-way (SIGKILL) and resuming: everyone left gets the
issue and nobody twice, except at most the messages that were in flight at the kill."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlmodel import Session

from tests.mail.conftest import SmtpRecorder, free_port
from tests.newsletter.conftest import DATA, add_subscribers

SUBSCRIBERS = 300
BATCH = 20


class SlowRecorder(SmtpRecorder):
    """Takes a few milliseconds per message, so the kill lands in the middle of the send."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.004)
        return await super().handle_DATA(server, session, envelope)


def _relais(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "relais", *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_kill_then_resume_sends_to_everyone_left_and_nobody_twice(
    db_url: str, session: Session, tmp_path: Path
) -> None:
    add_subscribers(session, SUBSCRIBERS)
    recorder = SlowRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ, "DATABASE_URL": db_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
        "MAIL_RATE_PER_SECOND": "0", "MAIL_BATCH_SIZE": str(BATCH), "MAIL_CONCURRENCY": "2",
        "MAIL_FROM": "CRPV <lettre@crpv.example>",
    }  # fmt: skip
    try:
        sender = _relais(env, tmp_path, "newsletter", "send", str(DATA / "lettre-42.md"), "--yes")
        deadline = time.monotonic() + 60
        while len(recorder.messages) < SUBSCRIBERS // 3 and time.monotonic() < deadline:
            assert sender.poll() is None, sender.communicate()[0]
            time.sleep(0.01)
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(timeout=10)
        before_resume = len(recorder.messages)
        assert SUBSCRIBERS // 3 <= before_resume < SUBSCRIBERS

        resumed = _relais(env, tmp_path, "newsletter", "resume", "42")
        output, _ = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, output
        status = _relais(env, tmp_path, "newsletter", "status", "42").communicate(timeout=60)[0]
    finally:
        controller.stop()

    received = Counter(str(message["To"]) for message in recorder.messages)
    assert set(received) == {f"abonne{n}@exemple.fr" for n in range(1, SUBSCRIBERS + 1)}
    twice = [address for address, times in received.items() if times > 1]
    assert all(received[address] == 2 for address in twice)
    assert len(twice) <= BATCH, f"{len(twice)} re-sent, more than one batch in flight"
    ids = {}
    for message in recorder.messages:
        ids.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    assert all(len(found) == 1 for found in ids.values())  # a re-send keeps its Message-ID
    assert f"envoyés (acceptés par le serveur) : {SUBSCRIBERS}" in status
    assert "en cours d'envoi : 0" in status  # the killed sender's rows were taken back at once
    assert "Terminé" in output
