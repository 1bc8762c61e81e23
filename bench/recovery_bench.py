"""Recovery after a crash: SIGKILL ``relais newsletter send`` mid-way, then ``resume``.

Measures, for one issue to N subscribers (3,000 by default), the time from the
SIGKILL to the last subscriber's message accepted by the SMTP server after
``relais newsletter resume``, start-up of the command included. The sender
and the server are real processes (aiosmtpd in another process, counting
Message-IDs). Also prints what the ideal would be: the messages left at the
kill pushed at the raw SMTP ceiling measured in the same run (pre-built
messages, aiosmtplib, same connections, same server), plus the time a
``relais`` command takes to start.

    .venv/bin/python bench/recovery_bench.py [--subscribers 3000] [--kill-at 0.33]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test ...   # on PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newsletter_bench import ISSUE, PARAGRAPH, _ceiling, _free_port, _setup

ROOT = Path(__file__).resolve().parent.parent


class Received:
    """The Message-IDs the server accepted so far, read incrementally (cheap to poll)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.counts: collections.Counter[str] = collections.Counter()

    def poll(self) -> collections.Counter[str]:
        if self.path.exists():
            with self.path.open("rb") as ids:
                ids.seek(self.offset)
                chunk = ids.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self.offset += len(complete)
            self.counts.update(complete.decode().split())
        return self.counts


def _relais(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "relais", *args], cwd=folder, env=dict(os.environ),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _prebuilt(source_text: str, subscribers: int) -> list[tuple[str, bytes]]:
    """The issue's messages as ``resume`` would send them, built ahead for the ceiling."""
    from mailer import newsletter
    from relais.db import session_scope
    from relais.newsletter import issues

    source = issues.parse(source_text)
    with session_scope() as session:
        rendered = issues.render(session, source)
        session.rollback()
    frozen = (rendered.subject, rendered.html, rendered.text)
    return [
        (
            f"abonne{n}@exemple.fr",
            newsletter.newsletter_message(
                *frozen, newsletter.unsubscribe_url(n, f"abonne{n}@exemple.fr")
            ).as_bytes(),
        )
        for n in range(1, subscribers + 1)
    ]


def run(subscribers: int, kill_at: float) -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ids_file = folder / "ids.txt"
        received = Received(ids_file)
        sink = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), "--port", str(port),
             "--out", str(ids_file)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert sink.stdout is not None and sink.stdout.readline().startswith("ready")
        try:
            _setup(folder, subscribers, port)
            from relais.settings import get_settings
            from wiring import subscribe_all

            subscribe_all()
            issue_file = folder / "lettre.md"
            issue_file.write_text(ISSUE.format(paragraphs="\n\n".join([PARAGRAPH] * 12)))
            prebuilt = _prebuilt(issue_file.read_text(), subscribers)
            connections = get_settings().mail_concurrency
            before = asyncio.run(_ceiling(list(prebuilt), port, connections))

            started = time.perf_counter()
            _relais(folder, "--help").wait()
            startup = time.perf_counter() - started

            sender = _relais(folder, "newsletter", "send", str(issue_file), "--yes")
            received.offset = ids_file.stat().st_size if ids_file.exists() else 0
            while sum(received.poll().values()) < subscribers * kill_at:
                assert sender.poll() is None, "the send finished before the kill"
                time.sleep(0.005)
            sender.send_signal(signal.SIGKILL)
            killed = time.perf_counter()
            sender.wait()
            left = subscribers - len(received.poll())

            resume = _relais(folder, "newsletter", "resume", "1")
            while len(received.poll()) < subscribers:
                finished = resume.poll() is not None
                assert not finished or len(received.poll()) == subscribers, (
                    "resume returned before every subscriber had the issue"
                )
                time.sleep(0.02)
            recovered = time.perf_counter() - killed
            resume.wait(120)
            counts = collections.Counter(received.poll())

            after = asyncio.run(_ceiling(list(prebuilt), port, connections))
            ceiling = (before + after) / 2
        finally:
            sink.terminate()
            sink.wait()
    twice = sum(1 for seen in counts.values() if seen > 1)
    ideal = startup + left / ceiling
    print(f"abonnés : {subscribers} ; tué à {kill_at:.0%} ; restant au moment du kill : {left}")
    print(f"reprise (SIGKILL → dernier message accepté) : {recovered:.2f} s")
    print(f"idéal (démarrage de la commande {startup:.2f} s + restant au plafond "
          f"{ceiling:.0f} msg/s) : {ideal:.2f} s ; ratio idéal/mesuré : {ideal / recovered:.2f}")  # fmt: skip
    print(f"reçus deux fois (en vol au moment du kill, même Message-ID) : {twice}")
    print(f"tous reçus : {len(counts) == subscribers} ; code de retour de resume : "
          f"{resume.returncode}")  # fmt: skip
    print("avant : les lignes « en cours d'envoi » attendaient MAIL_CLAIM_TIMEOUT (600 s).")


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--kill-at", type=float, default=0.33)
    args = parser.parse_args()
    run(args.subscribers, args.kill_at)


if __name__ == "__main__":
    main()
