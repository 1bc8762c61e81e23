"""Outbox throughput against its ceiling, and memory as the queue grows.

Sends N confirmation e-mails with invitations through the outbox (enqueue,
claim, render at send time, aiosmtplib over MAIL_CONCURRENCY connections,
recorded as sent) to an aiosmtpd server in another process. The ceiling is
measured in the same run: N pre-built messages pushed straight with
aiosmtplib over the same number of connections to the same server.

    .venv/bin/python bench/mail_bench.py [--messages 10000] [--concurrency 3]

Prints messages per second, the ratio to the ceiling, and the resident
memory the sending adds, for a small and the full queue (flat = the same).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    """Samples the resident set while a coroutine runs; reports what it added."""

    def __init__(self) -> None:
        self.start = rss_mib()
        self.peak = self.start
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mib())
            await asyncio.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, rss_mib())

    @property
    def added(self) -> float:
        return self.peak - self.start


def fill_outbox(count: int, prefix: str) -> None:
    """One event, ``count`` people registered: the confirmations land in the outbox."""
    from sqlalchemy import insert

    from mailer import kinds
    from mailer.outbox import enqueue
    from relais.db import session_scope
    from relais.people.models import Person
    from tests.factories import make_event

    with session_scope() as session:
        event = make_event(session, title="Rencontre régionale des adultes-relais")
        session.connection().execute(
            insert(Person),
            [
                {
                    "first_name": "Camille",
                    "last_name": f"Bench{n}",
                    "email": f"{prefix}{n}@exemple.fr",
                }
                for n in range(count)
            ],
        )
        people = session.connection().execute(
            Person.__table__.select().where(Person.__table__.c.email.like(f"{prefix}%"))  # type: ignore[attr-defined]
        )
        for person in people:
            enqueue(
                session, kind=kinds.REGISTERED, to=person.email, idempotency_key=f"{prefix}{person.id}",
                person_id=person.id, payload={"event_id": event.id, "registration_id": 0, "round": 0},
            )  # fmt: skip


async def through_outbox(count: int, prefix: str) -> tuple[float, float]:
    from mailer.dispatch import Dispatcher
    from relais.settings import get_settings

    fill_outbox(count, prefix)
    dispatcher = Dispatcher(get_settings())
    with PeakMemory() as memory:
        started = time.perf_counter()
        sent = await dispatcher.run_once()
        elapsed = time.perf_counter() - started
    await dispatcher.close()
    assert sent == count, f"{sent} of {count} accepted"
    return count / elapsed, memory.added


async def ceiling(count: int, concurrency: int, port: int) -> float:
    """Pre-built messages (one rendered confirmation, addressed N times) pushed straight."""
    import aiosmtplib
    from sqlmodel import select

    from mailer import kinds
    from mailer.models import OutboxMessage
    from mailer.outbox import renderer_for
    from relais.db import session_scope
    from relais.people.models import Person

    with session_scope() as session:
        row = session.exec(select(OutboxMessage).limit(1)).one()
        person = session.get(Person, row.person_id)
        assert person is not None
        template = renderer_for(kinds.REGISTERED)(session, row)
    messages = []
    for n in range(count):
        del template["To"], template["Message-ID"]
        template["To"] = f"ceiling{n}@exemple.fr"
        template["Message-ID"] = f"<ceiling{n}@bench>"
        messages.append(template.as_bytes())
    queue = list(reversed(messages))

    async def push() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while queue:
            data = queue.pop()
            await client.sendmail("relais@localhost", ["x@exemple.fr"], data)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(push() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def run(count: int, concurrency: int, port: int) -> None:
    from wiring import subscribe_all

    subscribe_all()
    small = max(200, count // 5)
    small_rate, small_memory = await through_outbox(small, "small")
    before = await ceiling(count, concurrency, port)
    rate, memory = await through_outbox(count, "full")
    after = await ceiling(count, concurrency, port)
    top = (before + after) / 2  # the machine may be shared: measured on both sides
    print(f"messages            : {count} (connections: {concurrency})")
    print(f"outbox              : {rate:,.0f} messages/s")
    print(f"ceiling (pre-built) : {top:,.0f} messages/s (before {before:,.0f}, after {after:,.0f})")
    print(f"ratio               : {rate / top:.2f} (target >= 0.50)")
    print(f"memory added        : {small_memory:.1f} MiB for {small} messages, "
          f"{memory:.1f} MiB for {count} (flat when close)")  # fmt: skip
    print(f"small queue rate    : {small_rate:,.0f} messages/s")


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=3)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    port = free_port()
    os.environ.update({
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}"),
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "MAIL_RATE_PER_SECOND": "0",
        "MAIL_RATE_PER_HOUR": "0", "MAIL_CONCURRENCY": str(arguments.concurrency),
        "ENVIRONMENT": "test",
    })  # fmt: skip
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), "--port", str(port)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert sink.stdout is not None and sink.stdout.readline().startswith("ready")
        from relais.db import get_engine
        from relais.migrate import upgrade

        upgrade(get_engine())
        asyncio.run(run(arguments.messages, arguments.concurrency, port))
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
