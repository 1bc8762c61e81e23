"""Newsletter throughput and memory: one issue to N subscribers, through the real outbox.

Prints messages per second, the peak memory added while queueing and sending,
and the ratio to a ceiling measured in the same run: the same messages,
pre-built, pushed straight with aiosmtplib over as many connections as the
dispatcher uses, to the same aiosmtpd server (running in another process),
once before and once after, averaged (the machine's load may change meanwhile).
By default it runs for 2,000 and 10,000 subscribers (each in a fresh process)
so one can see that memory does not grow with the list.

    .venv/bin/python bench/newsletter_bench.py                  # 2,000 and 10,000
    .venv/bin/python bench/newsletter_bench.py --subscribers 10000 --single
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ISSUE = """---
number: 1
title: Numéro de mesure
date: 01/12/2031
intro: Une lettre de taille habituelle, pour mesurer l'envoi.
---
## À la une

### Trois ans de Cités éducatives

![Une cour d'école](https://exemple.fr/images/cour.jpg)

{paragraphs}

## Agenda

## Ressources

- [Guide de la médiation sociale](https://exemple.fr/guide.pdf)
- [Tableau de bord PRE](https://exemple.fr/pre.xlsx)
"""
PARAGRAPH = (
    "Les équipes des Cités éducatives se sont retrouvées à Bobigny pour partager leurs "
    "pratiques, leurs réussites et leurs difficultés. [Lire la synthèse](https://exemple.fr/s.pdf)."
)


def _sink(port: int, ready: Any, count: Any) -> None:
    """An aiosmtpd server that accepts and counts (another process, like a real relay)."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 2.0.0 Accepted"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PeakRss:
    """Samples this process's resident memory every 20 ms; reports the peak above the start."""

    def __init__(self) -> None:
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def added_mib(self) -> float:
        return (self.peak - self.base) / 2**20


def _setup(folder: Path, subscribers: int, port: int) -> None:
    os.environ.update(
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{folder / 'bench.db'}"),
        SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), MAIL_RATE_PER_SECOND="0",
        MAIL_FROM="CRPV <lettre@crpv.example>", PUBLIC_BASE_URL="https://relais.crpv.example",
        MAIL_OUTBOX_DIR=str(folder / "outbox"), ENVIRONMENT="test",
    )  # fmt: skip
    from sqlalchemy import insert

    from relais.db import get_engine
    from relais.migrate import upgrade
    from relais.newsletter.models import Subscriber
    from relais.timefmt import utcnow

    upgrade(get_engine())
    now = utcnow()
    rows = [
        {
            "email": f"abonne{n}@exemple.fr",
            "first_name": "Camille",
            "last_name": f"N{n}",
            "organisation": "",
            "status": "active",
            "consent_channel": "import",
            "consent_source": "import",
            "consent_at": now,
            "confirm_attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1, subscribers + 1)
    ]
    with get_engine().begin() as connection:
        connection.execute(insert(Subscriber), rows)  # type: ignore[arg-type]


async def _ceiling(prebuilt: list[tuple[str, bytes]], port: int, connections: int) -> float:
    import aiosmtplib

    pending = list(prebuilt)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        while pending:
            to, data = pending.pop()
            await client.sendmail("lettre@crpv.example", [to], data)
        await client.quit()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return len(prebuilt) / (time.perf_counter() - start)


def run_single(subscribers: int) -> dict[str, float]:
    port = _free_port()
    ready = multiprocessing.Event()
    count = multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=_sink, args=(port, ready, count), daemon=True)
    sink.start()
    ready.wait(30)
    with tempfile.TemporaryDirectory() as folder:
        _setup(Path(folder), subscribers, port)
        from mailer import newsletter
        from mailer.dispatch import Dispatcher
        from relais.db import session_scope
        from relais.newsletter import archive, issues
        from relais.settings import get_settings
        from relais.timefmt import utcnow
        from wiring import subscribe_all

        subscribe_all()
        settings = get_settings()
        source = issues.parse(ISSUE.format(paragraphs="\n\n".join([PARAGRAPH] * 12)))
        with session_scope() as session:
            issue = archive.freeze(session, source, issues.render(session, source), utcnow())
            assert issue.id is not None
            frozen = (issue.subject, issue.html, issue.text)
        prebuilt = [
            (
                f"abonne{n}@exemple.fr",
                newsletter.newsletter_message(
                    *frozen, newsletter.unsubscribe_url(n, f"abonne{n}@exemple.fr")
                ).as_bytes(),
            )
            for n in range(1, subscribers + 1)
        ]
        size = sum(len(data) for _, data in prebuilt) / len(prebuilt)
        before = asyncio.run(_ceiling(prebuilt, port, settings.mail_concurrency))

        with PeakRss() as memory:
            start = time.perf_counter()
            newsletter.queue_all(issue.id)
            queued = time.perf_counter() - start

            async def send() -> int:
                dispatcher = Dispatcher(settings)
                try:
                    return await dispatcher.run_once()
                finally:
                    await dispatcher.close()

            start = time.perf_counter()
            sent = asyncio.run(send())
            elapsed = time.perf_counter() - start
        after = asyncio.run(_ceiling(prebuilt, port, settings.mail_concurrency))
    sink.terminate()
    ceiling = (before + after) / 2
    rate = sent / elapsed
    return {
        "subscribers": subscribers, "sent": sent, "message_kib": size / 1024,
        "queue_s": queued, "send_s": elapsed, "rate": rate, "ceiling": ceiling,
        "ratio": rate / ceiling, "memory_mib": memory.added_mib,
        "connections": settings.mail_concurrency, "received": count.value,
    }  # fmt: skip


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="*", default=[2000, 10000])
    parser.add_argument("--single", action="store_true", help="One size, in this process.")
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_single(args.subscribers[0])))
        return
    print(f"{'abonnés':>8} {'envoyés':>8} {'Kio/msg':>8} {'file (s)':>9} {'envoi (s)':>10} "
          f"{'msg/s':>8} {'plafond':>8} {'ratio':>6} {'mémoire +Mio':>13}")  # fmt: skip
    for size in args.subscribers:
        out = subprocess.run(
            [sys.executable, __file__, "--single", "--subscribers", str(size)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{r['subscribers']:>8} {r['sent']:>8} {r['message_kib']:>8.1f} {r['queue_s']:>9.2f} "
              f"{r['send_s']:>10.2f} {r['rate']:>8.0f} {r['ceiling']:>8.0f} {r['ratio']:>6.2f} "
              f"{r['memory_mib']:>13.1f}")  # fmt: skip
    print("plafond = mêmes messages préconstruits, poussés par aiosmtplib sur "
          "le même nombre de connexions (MAIL_CONCURRENCY) vers le même serveur aiosmtpd.")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
