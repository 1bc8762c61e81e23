"""Inviting a large network, and exporting a large registration list, against their ceilings.

Invitation round: ``invite_network`` for a network of N members with the real
channels subscribed (an invitation row, an e-mail outbox row and a Telegram
outbox row per member, in one transaction). Ceiling, measured in the same run:
the same number of rows written with bulk INSERTs (no checks, no lookups).

Export: the XLSX of N registrations; ceiling: openpyxl writing the same cells
from memory (no queries).

    .venv/bin/python bench/admin_bench.py [--members 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    return parser.parse_args()


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    import sqlalchemy as sa
    from openpyxl import Workbook
    from sqlmodel import Session

    from relais.db import get_engine, session_scope
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from relais.invitations import services as invitations
    from relais.migrate import upgrade
    from relais.networks import services as networks
    from relais.people.models import Person
    from relais.registrations import export as exports
    from relais.registrations.models import Registration, RegistrationStatus
    from relais.timefmt import utcnow
    from wiring import subscribe_all

    engine = get_engine()
    upgrade(engine)
    subscribe_all()
    n = args.members
    with session_scope() as session:
        network = networks.create(session, "Réseau de banc d'essai", "bench")
        event = events.create(
            session, EventInput(title="Rencontre de banc d'essai", starts_at=utcnow() + timedelta(days=30)),
            "bench",
        )  # fmt: skip
        assert network.id is not None and event.id is not None
        network_id, event_id = network.id, event.id
        session.execute(
            sa.insert(Person),
            [{"first_name": "Membre", "last_name": f"N{i:05d}", "email": f"m{i}@exemple.fr",
              "telegram_id": 10_000_000 + i, "email_invalid": False, "telegram_blocked": False,
              "created_at": utcnow(), "updated_at": utcnow()} for i in range(n)],
        )  # fmt: skip
        ids = [row[0] for row in session.execute(sa.text("SELECT id FROM person ORDER BY id"))]
        session.execute(
            sa.text("INSERT INTO network_member (network_id, person_id, added_at) VALUES (:n, :p, :a)"),
            [{"n": network_id, "p": pid, "a": utcnow().replace(tzinfo=None)} for pid in ids],
        )  # fmt: skip

    start = time.perf_counter()
    with session_scope() as session:
        report = invitations.invite_network(session, event_id, network_id, "bench")
    measured = time.perf_counter() - start

    start = time.perf_counter()
    with Session(engine) as session:
        rows = [{"event_id": event_id, "person_id": pid, "channel": channel, "batch": "ceiling",
                 "invited_by": "bench", "invited_at": utcnow()}
                for pid in ids for channel in ("ceiling-a", "ceiling-b", "ceiling-c")]  # fmt: skip
        session.execute(sa.insert(invitations.Invitation), rows)
        session.rollback()
    ceiling = time.perf_counter() - start
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"invite a network of {n} members: {measured:.2f} s, reached {report.reached}")
    print(
        f"  ceiling (bulk INSERT of {3 * n} rows): {ceiling:.2f} s; ratio {measured / ceiling:.1f}"
    )

    with session_scope() as session:
        session.execute(
            sa.insert(Registration),
            [{"event_id": event_id, "person_id": pid, "status": RegistrationStatus.CONFIRMED,
              "source": "bench", "queued_at": utcnow(), "created_at": utcnow()} for pid in ids],
        )  # fmt: skip
    start = time.perf_counter()
    with session_scope() as session:
        name, content = exports.export(session, events.get(session, event_id), "xlsx", "bench")
    measured = time.perf_counter() - start
    with Session(engine) as session:
        cells = [line.cells() for line in exports.lines(session, event_id)]
    start = time.perf_counter()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in cells:
        sheet.append(row)
    book.save(io.BytesIO())
    ceiling = time.perf_counter() - start
    print(f"XLSX of {n} registrations ({len(content) // 1024} KiB): {measured:.2f} s")
    print(f"  ceiling (openpyxl writing the same cells from memory): {ceiling:.2f} s; "
          f"ratio {measured / ceiling:.1f}")  # fmt: skip
    print(f"files in {folder} ({name})")


if __name__ == "__main__":
    main()
