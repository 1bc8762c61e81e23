"""The participants list funders ask for: who came, from where, to how many sessions.

One row per person present at least once in the chosen sessions. People who
erased their data stay as anonymous rows: their profile and département
still count, their name does not appear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from relais.attendance.models import Attendance, AttendanceStatus
from relais.events.models import Event, EventNetwork, EventStatus
from relais.exports.safe import Cell
from relais.i18n import columns, t
from relais.people.models import Organisation, Person
from relais.reference.models import Departement, Profile, StructureType
from relais.timefmt import local


def participants_table(
    session: Session,
    *,
    starts: datetime | None = None,
    ends: datetime | None = None,
    event_id: int | None = None,
    network_id: int | None = None,
) -> tuple[list[str], list[list[Cell]]]:
    present = (
        select(Attendance.person_id, Event.id, Event.starts_at, Event.title)
        .join(Event, col(Event.id) == Attendance.event_id)
        .where(Attendance.status == AttendanceStatus.PRESENT, Event.status != EventStatus.CANCELLED)
    )
    if starts is not None:
        present = present.where(Event.starts_at >= starts)
    if ends is not None:
        present = present.where(Event.starts_at < ends)
    if event_id is not None:
        present = present.where(Event.id == event_id)
    if network_id is not None:
        present = present.where(
            col(Event.id).in_(
                select(EventNetwork.event_id).where(EventNetwork.network_id == network_id)
            )
        )
    sessions: dict[int, list[str]] = {}
    for person_id, _event_id, starts_at, title in session.exec(
        present.order_by(col(Event.starts_at))
    ):
        sessions.setdefault(person_id, []).append(
            f"{local(starts_at).strftime('%d/%m/%Y')} {title}"
        )
    people = session.exec(
        select(Person, Organisation, Profile.name, Departement.name)
        .outerjoin(Organisation, col(Organisation.id) == Person.organisation_id)
        .outerjoin(Profile, col(Profile.id) == Person.profile_id)
        .outerjoin(Departement, col(Departement.code) == Person.departement_code)
        .where(col(Person.id).in_(select(present.subquery().c.person_id)))
        .order_by(func.lower(Person.last_name), func.lower(Person.first_name), col(Person.id))
    ).all()
    header = columns("presence.participants.columns")
    body: list[list[Cell]] = []
    types = {kind.id: kind.name for kind in session.exec(select(StructureType))}
    for person, organisation, profile, departement in people:
        assert person.id is not None
        attended = sessions[person.id]
        body.append(
            [
                person.last_name or t("presence.anonymous"),
                person.first_name,
                person.email or "",
                person.phone or "",
                organisation.name if organisation else "",
                types.get(person.structure_type_id, ""),
                profile or "",
                f"{person.departement_code} {departement}" if person.departement_code else "",
                len(attended),
                " ; ".join(attended),
            ]
        )
    return header, body
