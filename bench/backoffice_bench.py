"""The back office's registrations table of an event with 2,000 registrations, against a
plain query of the same rows measured in the same run.

Page: ``GET /gestion/evenements/<id>`` through the real application (session cookie,
role check, the export's rows with organisation and profile, filters, sorting,
the template with a row of buttons per person, the security headers).
Ceiling: one SELECT of the same registrations joined to their people, no rendering.
Goal: the page under 0.5 s on SQLite.

    .venv/bin/python bench/backoffice_bench.py [--registrations 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default="")
    return parser.parse_args()


def _prepare(count: int) -> int:
    """An event and ``count`` registrations (a quarter on the waiting list); its id."""
    from relais.db import get_engine, session_scope
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from wiring import install

    install()
    from relais.migrate import upgrade
    from relais.people.models import Organisation, Person
    from relais.registrations.models import Registration, RegistrationStatus
    from relais.roles import services as roles
    from relais.roles.models import Role
    from relais.timefmt import utcnow

    upgrade(get_engine())
    with session_scope() as session:
        roles.grant_email(session, "bench@crpv.example", Role.ADMINISTRATOR, "bench")
        event = events.create(
            session,
            EventInput(title="Journée régionale", starts_at=utcnow() + timedelta(days=20),
                       capacity=count * 3 // 4, venue="Montreuil"),
            "bench",
        )  # fmt: skip
        structures = [Organisation(name=f"Ville numéro {n}") for n in range(200)]
        session.add_all(structures)
        session.flush()
        people = [
            Person(first_name=f"Prénom{n}", last_name=f"Nom{n:05d}", email=f"p{n}@exemple.fr",
                   organisation_id=structures[n % 200].id, profile_id=1 + n % 5,
                   departement_code=("93", "91", "75")[n % 3])
            for n in range(count)
        ]  # fmt: skip
        session.add_all(people)
        session.flush()
        confirmed = count * 3 // 4
        session.add_all(
            Registration(
                event_id=event.id, person_id=person.id, source="web",
                status=RegistrationStatus.CONFIRMED if n < confirmed
                else RegistrationStatus.WAITLISTED,
            )
            for n, person in enumerate(people)
        )  # fmt: skip
        assert event.id is not None
        return event.id


def _ceiling(event_id: int) -> float:
    from sqlmodel import col, select

    from relais.db import read_scope
    from relais.people.models import Person
    from relais.registrations.models import Registration

    started = time.perf_counter()
    with read_scope() as session:
        rows = session.exec(
            select(Registration, Person)
            .join(Person, col(Person.id) == Registration.person_id)
            .where(Registration.event_id == event_id)
        ).all()
    elapsed = time.perf_counter() - started
    assert rows
    return elapsed


def main() -> None:
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="relais-backoffice-bench-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.setdefault("OUTBOX_DIR", str(folder / "outbox"))
    from starlette.testclient import TestClient

    from relais.db import session_scope
    from relais.signin import services as signin
    from relais.web.app import create_app

    event_id = _prepare(args.registrations)
    with session_scope() as session:
        cookie = signin.open_session(session, "email:bench@crpv.example")
    client = TestClient(create_app(), cookies={"relais_gestion": cookie})
    path = f"/gestion/evenements/{event_id}"
    assert client.get(path).status_code == 200  # warm: templates compiled, caches filled
    pages, ceilings = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        answer = client.get(path)
        pages.append(time.perf_counter() - started)
        assert (
            answer.status_code == 200
            and answer.text.count('<th scope="row">') == args.registrations
        )
        ceilings.append(_ceiling(event_id))
    page, ceiling = statistics.median(pages), statistics.median(ceilings)
    print(
        f"registrations table, {args.registrations} rows: {page * 1000:.0f} ms (median of {args.rounds})"
    )
    print(f"ceiling, plain query of the same rows: {ceiling * 1000:.0f} ms")
    print(f"ratio page / ceiling: {page / ceiling:.1f}")
    print(f"goal < 500 ms: {'met' if page < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
