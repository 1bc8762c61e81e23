"""Generated activity for the statistics tests and the benchmark, inserted in bulk.

Realistic on purpose: cycles, networks, cancelled and draft events (which
must not count), cancelled and waitlisted registrations, unmarked, absent and
excused people, walk-ins, sessions where attendance was never taken, people
who erased their data, satisfaction answers with and without comments.
Seeded, so a run is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.events.models import Event, EventFormat, EventNetwork, EventStatus, Series
from relais.networks.models import Network, NetworkMember
from relais.people.models import Organisation, Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.satisfaction.models import SatisfactionAnswer

DEPARTEMENTS = ("91", "94", "77", "93", "75", "21", "89")
COMMENTS = (
    "Très riche, merci aux intervenants.",
    "Bon rythme, mais trop court.",
    "La mise en réseau est essentielle.",
    "Salle trop petite.",
)


@dataclass(frozen=True)
class Size:
    years: tuple[int, ...]
    sessions_per_year: int
    attendees: int
    people: int
    networks: int = 17
    seed: int = 7


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]


def _next_id(connection: Connection, model: Any) -> int:
    table = _table(model)
    return (
        int(
            connection.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
        )
        + 1
    )


def generate(connection: Connection, size: Size) -> None:
    """Insert the whole data set in one transaction (the caller's)."""
    rng = random.Random(size.seed)
    now = datetime(2020, 1, 1, tzinfo=UTC)
    profiles = [row[0] for row in connection.execute(sa.text("SELECT id FROM profile"))]
    themes = [row[0] for row in connection.execute(sa.text("SELECT id FROM theme"))]
    types = [row[0] for row in connection.execute(sa.text("SELECT id FROM structure_type"))]

    first_org = _next_id(connection, Organisation)
    organisations = [
        {"id": first_org + n, "name": f"Structure générée {first_org + n}"}
        for n in range(max(10, size.people // 40))
    ]
    connection.execute(sa.insert(_table(Organisation)), organisations)

    first_person = _next_id(connection, Person)
    people = []
    for n in range(size.people):
        pid = first_person + n
        erased = rng.random() < 0.04
        people.append(
            {
                "id": pid,
                "first_name": "" if erased else f"Prénom{pid}",
                "last_name": "" if erased else f"Nom{pid}",
                "email": None if erased else f"p{pid}@genere.test",
                "email_invalid": False,
                "phone": None,
                "organisation_id": None
                if erased or rng.random() < 0.1
                else rng.choice(organisations)["id"],
                "profile_id": rng.choice(profiles) if rng.random() < 0.93 else None,
                # Some said nothing, some declined (« Passer »): both are « non renseigné ».
                "structure_type_id": rng.choice(types) if rng.random() < 0.85 else None,
                "structure_type_declined_at": now if rng.random() < 0.05 else None,
                "departement_code": rng.choice(DEPARTEMENTS) if rng.random() < 0.95 else None,
                "telegram_id": None,
                "telegram_blocked": False,
                "created_at": now,
                "updated_at": now,
                "erased_at": now if erased else None,
            }
        )
    connection.execute(sa.insert(_table(Person)), people)
    person_ids = [p["id"] for p in people]

    first_network = _next_id(connection, Network)
    networks = [
        {"id": first_network + n, "code": f"gen-{first_network + n}",
         "name": f"Réseau généré {first_network + n}", "description": "",
         "departement_code": DEPARTEMENTS[n % 3], "theme_id": rng.choice(themes), "created_at": now}
        for n in range(size.networks)
    ]  # fmt: skip
    connection.execute(sa.insert(_table(Network)), networks)
    members = [
        {"network_id": network["id"], "person_id": pid, "added_at": now}
        for network in networks
        for pid in rng.sample(person_ids, min(len(person_ids), rng.randint(5, 30)))
    ]
    connection.execute(sa.insert(_table(NetworkMember)), members)

    _events(connection, rng, size, now, themes, person_ids, [n["id"] for n in networks])


def _events(
    connection: Connection,
    rng: random.Random,
    size: Size,
    now: datetime,
    themes: list[int],
    person_ids: list[int],
    network_ids: list[int],
) -> None:
    first_event = _next_id(connection, Event)
    first_series = _next_id(connection, Series)
    events: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    formats = list(EventFormat)
    for year in size.years:
        count = size.sessions_per_year + max(2, size.sessions_per_year // 20)
        for n in range(count):
            eid = first_event + len(events)
            day = datetime(year, 1, 1, 7, tzinfo=UTC) + timedelta(days=rng.randrange(364))
            start = day + timedelta(minutes=30 * rng.randrange(0, 14))
            length = rng.choice([90, 120, 180, 240, 270, 300, 420, 420, 60 * 24 + 420])
            status = EventStatus.PUBLISHED
            if n >= size.sessions_per_year:
                status = rng.choice([EventStatus.CANCELLED, EventStatus.DRAFT])
            series_id = None
            if n % 25 == 0 and n < size.sessions_per_year:
                series_id = first_series + len(series)
                series.append({"id": series_id, "code": f"cy{series_id}", "title": f"Cycle {series_id}",
                               "description": "", "created_at": now})  # fmt: skip
            elif n % 25 in (1, 2, 3) and series:
                series_id = series[-1]["id"]
            events.append(
                {
                    "id": eid, "code": f"g{eid}", "title": f"Séance générée {eid}", "description": "",
                    "theme_id": rng.choice(themes) if rng.random() < 0.9 else None,
                    "format": rng.choice(formats), "starts_at": start,
                    "ends_at": start + timedelta(minutes=length), "venue": "", "visio_url": "",
                    "capacity": None, "waitlist_enabled": True, "registration_deadline": None,
                    "registrations_open": True, "members_only": False, "status": status,
                    "series_id": series_id, "sequence": 0, "cancel_reason": "",
                    "reminder_offsets": None, "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
            if rng.random() < 0.35:
                for network_id in rng.sample(network_ids, 2 if rng.random() < 0.1 else 1):
                    links.append({"event_id": eid, "network_id": network_id})
    if series:
        connection.execute(sa.insert(_table(Series)), series)
    connection.execute(sa.insert(_table(Event)), events)
    if links:
        connection.execute(sa.insert(_table(EventNetwork)), links)
    _people_at(connection, rng, size, events, person_ids)


def _people_at(
    connection: Connection,
    rng: random.Random,
    size: Size,
    events: list[dict[str, Any]],
    person_ids: list[int],
) -> None:
    registrations: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for event in events:
        never_taken = rng.random() < 0.05
        crowd = rng.sample(
            person_ids, min(len(person_ids), size.attendees + size.attendees * 2 // 5)
        )
        when = event["starts_at"]
        for index, pid in enumerate(crowd):
            roll = rng.random()
            walk_in = index == 0
            if not walk_in:
                status = (
                    RegistrationStatus.CANCELLED if roll < 0.08
                    else RegistrationStatus.WAITLISTED if roll < 0.11
                    else RegistrationStatus.CONFIRMED
                )  # fmt: skip
                registrations.append(
                    {"event_id": event["id"], "person_id": pid, "status": status, "source": "bot",
                     "queued_at": when, "created_at": when, "confirmed_at": None, "cancelled_at": None}
                )  # fmt: skip
                if status != RegistrationStatus.CONFIRMED:
                    continue
            if never_taken:
                continue
            mark_roll = rng.random()
            if walk_in or mark_roll < 0.80:
                mark = AttendanceStatus.PRESENT
            elif mark_roll < 0.88:
                mark = AttendanceStatus.ABSENT
            elif mark_roll < 0.92:
                mark = AttendanceStatus.EXCUSED
            else:
                continue
            marks.append(
                {"event_id": event["id"], "person_id": pid, "status": mark,
                 "method": AttendanceMethod.IMPORT, "recorded_by": "gen", "recorded_at": when}
            )  # fmt: skip
            if mark == AttendanceStatus.PRESENT and rng.random() < 0.4:
                rating = rng.choices([1, 2, 3, 4, 5], weights=[2, 4, 10, 40, 44])[0]
                answers.append(
                    {"event_id": event["id"], "person_id": pid, "rating": rating,
                     "comment": rng.choice(COMMENTS) if rng.random() < 0.15 else "",
                     "channel": "bot", "answered_at": when, "updated_at": when}
                )  # fmt: skip
    connection.execute(sa.insert(_table(Registration)), registrations)
    connection.execute(sa.insert(_table(Attendance)), marks)
    if answers:
        connection.execute(sa.insert(_table(SatisfactionAnswer)), answers)
