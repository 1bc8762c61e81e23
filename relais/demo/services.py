"""Sample data inspired by the seed reports, with invented people.

Idempotent: the second run finds the demo networks and only lists the codes.
Every row the demo inserts is listed in ``demo_row`` (see :mod:`relais.demo.models`),
so :func:`remove_demo` deletes exactly them and nothing a person created.
Refused in production and on a database that already holds real events or people:
demo events would otherwise reach the real agenda and newsletter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, SQLModel, col, func, select

from relais.access import links
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.demo.models import DemoRow
from relais.errors import DomainError
from relais.events import services as events
from relais.events.models import Event, Series
from relais.events.schemas import EventInput
from relais.i18n import t
from relais.networks import services as networks
from relais.networks.models import Network
from relais.people import services as people
from relais.people.models import Person
from relais.reference import services as reference
from relais.registrations.models import Registration, RegistrationStatus
from relais.satisfaction.models import SatisfactionAnswer
from relais.timefmt import display_zone, format_datetime, utcnow

ACTOR = "demo"
NETWORKS = (
    ("demo-adultes-relais-93", "Réseau des médiateurs adultes-relais – 93", "93"),
    ("demo-pre-91", "Réseau des référents PRE – 91", "91"),
    ("demo-cites-educatives", "Réseau régional des Cités éducatives", None),
)
#: (first, last, e-mail, structure, type of structure, profile, département, network index).
#: One person has no type of structure: the figures then show a « non renseigné » share.
PEOPLE = (
    ("Nadia", "Benali", "nadia.benali@exemple.fr", "Ville de Montreuil", "Collectivité territoriale", "Médiateur adulte-relais", "93", 0),
    ("Karim", "Dufresne", "karim.dufresne@exemple.fr", "Association Lien Social", "Association", "Médiateur adulte-relais", "93", 0),
    ("Sophie", "Marchal", "sophie.marchal@exemple.fr", "CCAS d'Évry-Courcouronnes", "Collectivité territoriale", "Référent de parcours PRE", "91", 1),
    ("Thomas", "Nguyen", "thomas.nguyen@exemple.fr", "Ville de Grigny", "Collectivité territoriale", "Coordonnateur PRE", "91", 1),
    ("Aïcha", "Traoré", "aicha.traore@exemple.fr", "Collège Jean-Jaurès, Clichy", "Établissement scolaire / Éducation nationale", "Chef de projet Cité éducative", "93", 2),
    ("Julien", "Perrot", "julien.perrot@exemple.fr", "Préfecture de l'Essonne", "Services de l'État", "Délégué du préfet", "91", 2),
    ("Inès", "Carvalho", "ines.carvalho@exemple.fr", "Office public de l'habitat 93", "Bailleur social", "Bailleur", "93", 0),
    ("Marc", "Lefebvre", "marc.lefebvre@exemple.fr", "CAF de l'Essonne", "Organisme public (CAF, France Travail…)", "Autre", "91", 1),
    ("Fatou", "Diallo", "fatou.diallo@exemple.fr", "Conseil citoyen des Tarterêts", "Habitant", "Habitant", "91", 1),
    ("Paul", "Girard", "paul.girard@exemple.fr", "Transports Urbains Express", "Entreprise", "Autre", "93", 0),
    ("Yasmine", "Haddad", "yasmine.haddad@exemple.fr", "Centre social Les Tilleuls", "Association", "Association", "93", 0),
    ("Léo", "Bertin", "leo.bertin@exemple.fr", "Maison de quartier du Luth", None, "Médiateur adulte-relais", "93", 0),
)  # fmt: skip
#: Sessions already held (days before today) and who came, by index in PEOPLE:
#: they give ``relais stats`` and ``relais report`` something to count.
PAST_SESSIONS = (
    ("Rencontre du réseau des médiateurs : bilan du semestre", -70, "Médiation sociale", 0, (0, 1, 6, 9, 10, 11)),
    ("Webinaire : la réussite éducative après le collège", -40, "Questions éducatives", 1, (2, 3, 4, 5, 7, 8)),
    ("Atelier GUSP avec les bailleurs", -15, "Cadre de vie & GUSP", 0, (0, 5, 6, 9, 11)),
)  # fmt: skip


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` from today, moved to the next working day (meetings are not on weekends)."""
    day = (utcnow().astimezone(display_zone()) + timedelta(days=days)).date()
    while day.weekday() >= 5 or (day.month, day.day) in ((1, 1), (12, 25)):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=display_zone())


def _events() -> list[EventInput]:
    return [
        EventInput(title="Rencontre du réseau des médiateurs adultes-relais", starts_at=_at(10, 9, 30), duration_minutes=180, theme="Médiation sociale", venue="Maison des associations, 12 rue de la République, 93100 Montreuil", capacity=25, networks=["demo-adultes-relais-93"], description="Échanges de pratiques : la médiation dans les transports et les espaces publics."),
        EventInput(title="Webinaire : la santé communautaire dans les quartiers", starts_at=_at(14, 14), duration_minutes=90, format="distanciel", theme="Santé", visio_url="https://visio.exemple.fr/sante-communautaire", capacity=100, description="Retours d'expériences de centres de santé communautaire."),
        EventInput(title="Journée régionale PRE et Cités éducatives", starts_at=_at(21, 9), duration_minutes=420, theme="Questions éducatives", venue="Salle des fêtes, 2 place de l'Hôtel de Ville, 91000 Évry-Courcouronnes", capacity=80, networks=["demo-pre-91", "demo-cites-educatives"], registration_deadline=_at(18, 18)),
        EventInput(title="Atelier participation citoyenne (petit groupe)", starts_at=_at(7, 10), duration_minutes=120, theme="Participation citoyenne", venue="Centre social Les Tilleuls, 5 allée des Tilleuls, 93200 Saint-Denis", capacity=2, waitlist_enabled=True),
        EventInput(title="Rencontre réservée aux référents PRE", starts_at=_at(28, 9, 30), duration_minutes=180, theme="Questions éducatives", venue="Maison de l'emploi, 91000 Évry-Courcouronnes", capacity=20, networks=["demo-pre-91"], members_only=True),
        EventInput(title="Webinaire GUSP : gestion urbaine de proximité", starts_at=_at(35, 11), duration_minutes=60, format="hybride", theme="Cadre de vie & GUSP", venue="Trajectoire, 3 rue du Port, 21000 Dijon", visio_url="https://visio.exemple.fr/gusp", capacity=60),
    ]  # fmt: skip


def _cycle_sessions() -> list[EventInput]:
    return [
        EventInput(title=f"Intelligence territoriale – séance {n}", starts_at=_at(days, 9, 30), duration_minutes=390, theme="Gouvernance & évaluation", venue="Maison diocésaine, 9 bis boulevard Voltaire, 21000 Dijon", capacity=30)
        for n, days in ((1, 12), (2, 40), (3, 68))
    ]  # fmt: skip


#: Satisfaction notes given by the people present, in turn (85 % satisfied, as in the seeds).
RATINGS = (5, 4, 4, 5, 3, 4, 5)
#: A session of the year before, so that ``relais stats`` has something to compare with.
LAST_YEAR = ("Rencontre des médiateurs : l'aller-vers", -400, "Médiation sociale", 0, (0, 1, 10))


def refusal(session: Session, environment: str) -> str | None:
    """Why the demo must not be loaded here, or ``None`` when it may."""
    if environment == "production":
        return t("cli.demo_refused_production")
    real_events = _count(session, Event) - _marked(session, Event)
    real_people = _count(session, Person) - _marked(session, Person)
    if real_events > 0 or real_people > 0:
        return t("cli.demo_refused_real_data", events=real_events, people=real_people)
    return None


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _marked(session: Session, model: type[SQLModel]) -> int:
    table = model.__tablename__  # type: ignore[attr-defined]
    query = select(func.count()).where(col(DemoRow.table_name) == table)
    return int(session.exec(query).one())


def load_demo(session: Session) -> list[str]:
    """Create the sample data once; return one French line per event and cycle."""
    if session.exec(select(Network).where(Network.code == NETWORKS[0][0])).first() is None:
        with _recording(session) as created:
            _create(session)
            session.flush()
        session.add_all(DemoRow(table_name=table, row_key=key) for table, key in created)
        session.flush()
    lines = []
    for event in session.exec(
        select(Event)
        .where(col(Event.series_id).is_(None), col(Event.ends_at) > utcnow())
        .order_by(col(Event.starts_at))
    ):
        lines.append(
            t(
                "cli.demo_event",
                code=event.code,
                when=format_datetime(event.starts_at),
                title=event.title,
            )
        )
    for series in session.exec(select(Series)):
        count = len(events.series_sessions(session, series.id or 0))
        lines.append(
            t(
                "cli.demo_series",
                code=series.code,
                title=series.title,
                count=count,
                link=links.series_register_link(series),
            )
        )
    return lines


def _create(session: Session) -> None:
    network_ids = []
    for code, name, departement in NETWORKS:
        network_ids.append(
            networks.create(session, name, ACTOR, code=code, departement_code=departement).id
        )
    person_ids: list[int] = []
    for first, last, email, organisation, kind, profile_name, departement, network_index in PEOPLE:
        profile = reference.find_profile(session, profile_name)
        structure_type = reference.match_structure_type(session, kind) if kind else None
        person = people.save_profile(
            session, email=email, first_name=first, last_name=last, organisation=organisation,
            profile_id=profile.id if profile else None,
            structure_type_id=structure_type.id if structure_type else None,
            departement_code=departement, actor=ACTOR,
        )  # fmt: skip
        network_id = network_ids[network_index]
        assert person.id is not None and network_id is not None
        networks.add_member(session, network_id, person.id, ACTOR)
        person_ids.append(person.id)
    for title, days, theme, network_index, present in (*PAST_SESSIONS, LAST_YEAR):
        _past_session(
            session,
            title,
            days,
            theme,
            NETWORKS[network_index][0],
            [person_ids[i] for i in present],
        )
    for data in _events():
        events.create(session, data, ACTOR)
    events.create_series(
        session, "Cycle de qualification – Intelligence territoriale", _cycle_sessions(), ACTOR
    )


def _past_session(
    session: Session, title: str, days: int, theme: str, network: str, present: list[int]
) -> None:
    """A held session with its attendance and satisfaction answers.

    Rows are written directly, without domain events: nobody gets an e-mail
    or a Telegram message about an invented meeting.
    """
    data = EventInput(title=title, starts_at=_at(days, 9, 30), duration_minutes=180, theme=theme, venue="Maison des associations, 93100 Montreuil", networks=[network])  # fmt: skip
    event = events.create(session, data, ACTOR)
    assert event.id is not None
    for index, person_id in enumerate(present):
        session.add(Registration(event_id=event.id, person_id=person_id, status=RegistrationStatus.CONFIRMED, source="demo", confirmed_at=event.starts_at - timedelta(days=10)))  # fmt: skip
        session.add(Attendance(event_id=event.id, person_id=person_id, status=AttendanceStatus.PRESENT, method=AttendanceMethod.CLI, recorded_by=ACTOR, recorded_at=event.ends_at))  # fmt: skip
        rating = RATINGS[(index + days) % len(RATINGS)]
        session.add(SatisfactionAnswer(event_id=event.id, person_id=person_id, rating=rating, channel="web", answered_at=event.ends_at + timedelta(days=1)))  # fmt: skip
    session.flush()


@contextmanager
def _recording(session: Session) -> Iterator[list[tuple[str, str]]]:
    """Collect (table, primary key) of every row the session inserts meanwhile: through
    ORM objects (flushes) and through plain INSERTs run by the session."""
    created: list[tuple[str, str]] = []

    def _collect(flushing: Any, _context: Any) -> None:
        for instance in flushing.new:
            mapper = sa_inspect(instance).mapper
            key = mapper.primary_key_from_instance(instance)
            created.append((mapper.local_table.name, json.dumps(list(key), default=str)))

    def _collect_direct(state: ORMExecuteState) -> Result[Any] | None:
        """Rows inserted without ORM objects (audit entries, consents, reminders), one at
        a time so that each key is known (the demo inserts a few hundred rows)."""
        statement = state.statement
        if not state.is_insert or state.is_orm_statement or not isinstance(statement, sa.Insert):
            return None
        many = state.parameters if isinstance(state.parameters, list) else [state.parameters]
        result = None
        for params in many:
            result = session.connection().execute(statement, params)
            key = json.dumps(list(result.inserted_primary_key or ()), default=str)
            created.append((statement.table.name, key))  # type: ignore[attr-defined]
        return result

    sa_event.listen(session, "after_flush", _collect)
    sa_event.listen(session, "do_orm_execute", _collect_direct)
    try:
        yield created
    finally:
        sa_event.remove(session, "after_flush", _collect)
        sa_event.remove(session, "do_orm_execute", _collect_direct)


def remove_demo(session: Session) -> int:
    """Delete every row the demo inserted, newest first (children before parents)."""
    from relais.migrate import target_metadata

    marks = list(session.exec(select(DemoRow).order_by(col(DemoRow.id).desc())))
    try:
        _delete_marked(session, marks, target_metadata())
    except IntegrityError:
        raise DemoLinked() from None
    return len(marks)


class DemoLinked(DomainError):
    """Real rows point at demo rows (a real registration to a demo event): nothing removed."""

    def __init__(self) -> None:
        super().__init__("demo_linked")


def _delete_marked(session: Session, marks: list[DemoRow], metadata: sa.MetaData) -> None:
    for mark in marks:
        table = metadata.tables[mark.table_name]
        values = json.loads(mark.row_key)
        condition = sa.and_(
            *(
                column == value
                for column, value in zip(table.primary_key.columns, values, strict=True)
            )
        )
        session.execute(sa.delete(table).where(condition))
        session.delete(mark)
    session.flush()
