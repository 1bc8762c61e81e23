"""The figures of the yearly activity report, computed by the database.

Every count is one SQL aggregate (GROUP BY) over the raw tables, so a year of
a large CRPV takes milliseconds and the figures are exactly what SQL gives.
Only half-days are added up in Python, over the year's sessions (a few
hundred rows), because they depend on local calendar days.

Definitions (see docs/presence.md):

* a *session* is a published, not cancelled event starting in the year
  (local time); each session of a cycle counts;
* a *participation* is one person marked present at one session;
* *distinct participants* count each person once, including people who since
  erased their data (their emptied row stays);
* the *no-show rate* is, over the sessions of the year that are over and
  where attendance was taken (at least one mark), the share of confirmed
  registrations marked absent or left unmarked; excused people are not
  no-shows;
* the *satisfaction rate* is the share of answers rated 4 or 5.

Given ``networks`` (a coordinator limited to some networks), only the sessions
that invite one of them count, and the network breakdowns show only those.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from relais.attendance.models import Attendance, AttendanceStatus
from relais.errors import InvalidInput
from relais.events.models import Event, EventFormat, EventNetwork, EventStatus
from relais.i18n import t
from relais.networks.models import Network, NetworkMember
from relais.people.models import Person
from relais.reference.models import Departement, Profile, StructureType, Theme
from relais.registrations.models import Registration, RegistrationStatus
from relais.satisfaction.models import SatisfactionAnswer
from relais.settings import get_settings
from relais.timefmt import half_days, utcnow

COMMENTS_SHOWN = 12


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January to 1 January in the display zone, as UTC instants."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("presence.bad_year", value=year)
    zone = get_settings().tz
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Totals:
    sessions: int = 0
    half_days: int = 0
    cycles: int = 0
    participations: int = 0
    participants: int = 0
    confirmed: int = 0
    expected: int = 0
    no_shows: int = 0
    excused: int = 0
    answers: int = 0
    rating_sum: int = 0
    satisfied: int = 0

    @property
    def per_participant(self) -> float | None:
        return self.participations / self.participants if self.participants else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.expected if self.expected else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.answers if self.answers else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.answers if self.answers else None


@dataclass(frozen=True)
class Row:
    """One line of a breakdown; ``sessions`` and ``half_days`` only for event dimensions."""

    key: str
    label: str
    participations: int
    participants: int
    sessions: int | None = None
    half_days: int | None = None


@dataclass(frozen=True)
class NetworkBlock:
    """A « réseau de pairs » block of the report."""

    name: str
    departement: str
    meetings: int
    participations: int
    participants: int
    members: int
    dates: list[datetime]
    answers: int
    satisfied: int

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.answers if self.answers else None


@dataclass(frozen=True)
class SessionSatisfaction:
    title: str
    starts_at: datetime
    participations: int
    answers: int
    average: float
    satisfied: int

    @property
    def satisfaction_rate(self) -> float:
        return self.satisfied / self.answers


@dataclass
class YearFigures:
    year: int
    totals: Totals
    breakdowns: dict[str, list[Row]] = field(default_factory=dict)
    networks: list[NetworkBlock] = field(default_factory=list)
    satisfaction: list[SessionSatisfaction] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)
    ratings: dict[int, int] = field(default_factory=dict)


BREAKDOWNS = ("theme", "format", "network", "departement", "profile", "structure_type")
#: The key of the « Non renseigné » row of a person breakdown.
UNKNOWN_KEY = "None"


class _Year:
    """The queries of one year, sharing the scope's conditions."""

    def __init__(
        self, session: Session, year: int, now: datetime, networks: frozenset[int] | None = None
    ) -> None:
        self.session = session
        self.year = year
        self.now = now
        self.starts, self.ends = year_bounds(year)
        # Sessions that have taken place: the report of the current year must not
        # count the meetings still to come.
        self.in_scope = sa.and_(
            col(Event.status) == EventStatus.PUBLISHED,
            col(Event.starts_at) >= self.starts,
            col(Event.starts_at) < min(self.ends, now),
            _inviting(networks),
        )
        #: The rows of a network breakdown that this scope may show.
        self.shown_network = (
            sa.true() if networks is None else col(EventNetwork.network_id).in_(sorted(networks))
        )
        self.present = sa.and_(
            col(Attendance.event_id) == col(Event.id),
            col(Attendance.status) == AttendanceStatus.PRESENT,
        )

    def rows(self, query: Any) -> list[Any]:
        return list(self.session.execute(query).all())

    def sessions(self) -> list[Any]:
        return self.rows(
            sa.select(
                col(Event.id), col(Event.theme_id), col(Event.format), col(Event.series_id),
                col(Event.starts_at), col(Event.ends_at),
            ).where(self.in_scope)
        )  # fmt: skip

    def participation_totals(self) -> tuple[int, int]:
        row = self.session.execute(
            sa.select(sa.func.count(col(Attendance.id)), sa.func.count(sa.distinct(col(Attendance.person_id))))
            .select_from(Event)
            .join(Attendance, self.present)
            .where(self.in_scope)
        ).one()  # fmt: skip
        return int(row[0]), int(row[1])

    def no_shows(self) -> tuple[int, int, int, int]:
        """(confirmed, expected, no-shows, excused) as defined in the module docstring."""
        taken = sa.select(col(Attendance.event_id)).distinct()
        status = col(Attendance.status)
        unmarked_or_absent = sa.or_(status.is_(None), status == AttendanceStatus.ABSENT)
        over_and_taken = sa.and_(col(Event.ends_at) < self.now, col(Event.id).in_(taken))
        row = self.session.execute(
            sa.select(
                sa.func.count(col(Registration.id)),
                sa.func.sum(sa.case((over_and_taken, 1), else_=0)),
                sa.func.sum(sa.case((sa.and_(over_and_taken, unmarked_or_absent), 1), else_=0)),
                sa.func.sum(sa.case((sa.and_(over_and_taken, status == AttendanceStatus.EXCUSED), 1), else_=0)),
            )
            .select_from(Registration)
            .join(Event, col(Event.id) == col(Registration.event_id))
            .outerjoin(
                Attendance,
                sa.and_(
                    col(Attendance.event_id) == col(Registration.event_id),
                    col(Attendance.person_id) == col(Registration.person_id),
                ),
            )
            .where(self.in_scope, col(Registration.status) == RegistrationStatus.CONFIRMED)
        ).one()  # fmt: skip
        return int(row[0]), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)

    def satisfaction_totals(self) -> tuple[int, int, int]:
        row = self.session.execute(
            sa.select(
                sa.func.count(col(SatisfactionAnswer.id)),
                sa.func.coalesce(sa.func.sum(col(SatisfactionAnswer.rating)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((col(SatisfactionAnswer.rating) >= 4, 1), else_=0)), 0),
            )
            .select_from(SatisfactionAnswer)
            .join(Event, col(Event.id) == col(SatisfactionAnswer.event_id))
            .where(self.in_scope)
        ).one()  # fmt: skip
        return int(row[0]), int(row[1]), int(row[2])

    def by_event_dimension(
        self, key: Any, extra_join: Any = None, extra_where: Any = None
    ) -> dict[Any, tuple[int, int, int]]:
        """{key: (sessions, participations, distinct participants)} grouped in SQL."""
        query = sa.select(
            key,
            sa.func.count(sa.distinct(col(Event.id))),
            sa.func.count(col(Attendance.id)),
            sa.func.count(sa.distinct(col(Attendance.person_id))),
        ).select_from(Event)
        if extra_join is not None:
            query = query.join(*extra_join)
        query = query.outerjoin(Attendance, self.present).where(self.in_scope)
        if extra_where is not None:
            query = query.where(extra_where)
        query = query.group_by(key)
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in self.rows(query)}

    def by_person_dimension(self, key: Any, joins: list[Any]) -> dict[Any, tuple[int, int]]:
        """{key: (participations, distinct participants)} of the people present."""
        query = (
            sa.select(key, sa.func.count(col(Attendance.id)), sa.func.count(sa.distinct(col(Attendance.person_id))))
            .select_from(Event)
            .join(Attendance, self.present)
            .join(Person, col(Person.id) == col(Attendance.person_id))
        )  # fmt: skip
        for target, condition in joins:
            query = query.outerjoin(target, condition)
        query = query.where(self.in_scope).group_by(key)
        return {row[0]: (int(row[1]), int(row[2])) for row in self.rows(query)}


def _inviting(networks: frozenset[int] | None) -> Any:
    """Events that invite one of ``networks`` (every event when None)."""
    if networks is None:
        return sa.true()
    invited = sa.select(col(EventNetwork.event_id)).where(
        col(EventNetwork.network_id).in_(sorted(networks))
    )
    return col(Event.id).in_(invited)


def _names(session: Session, key: Any, name: Any) -> dict[Any, str]:
    return {row[0]: row[1] for row in session.execute(sa.select(key, name)).all()}


def _event_rows(
    grouped: dict[Any, tuple[int, int, int]],
    half_days_by_key: dict[Any, int],
    label: Any,
) -> list[Row]:
    rows = [
        Row(str(key), label(key), participations, participants, sessions, half_days_by_key.get(key, 0))
        for key, (sessions, participations, participants) in grouped.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-r.participations, -(r.sessions or 0), r.label))


def _person_rows(grouped: dict[Any, tuple[int, int]], label: Any) -> list[Row]:
    rows = [
        Row(str(key), label(key), participations, participants)
        for key, (participations, participants) in grouped.items()
    ]
    return sorted(rows, key=lambda r: (-r.participations, r.label))


def published_ahead(
    session: Session,
    year: int,
    now: datetime | None = None,
    networks: frozenset[int] | None = None,
) -> tuple[int, datetime | None]:
    """Published sessions of ``year`` not held yet, and the first one's start.

    They are not counted (figures count sessions that took place), so an empty
    report must say they exist rather than « no session ».
    """
    starts, ends = year_bounds(year)
    moment = max(now or utcnow(), starts)
    count, first = session.execute(
        sa.select(sa.func.count(col(Event.id)), sa.func.min(col(Event.starts_at))).where(
            col(Event.status) == EventStatus.PUBLISHED,
            col(Event.starts_at) >= moment,
            col(Event.starts_at) < ends,
            _inviting(networks),
        )
    ).one()
    return int(count), first


def compute(
    session: Session,
    year: int,
    *,
    now: datetime | None = None,
    detailed: bool = True,
    networks: frozenset[int] | None = None,
) -> YearFigures:
    """Every figure of ``year`` (see the module docstring for the definitions).

    ``detailed=False`` leaves out what is only shown for the year itself, not
    for the year it is compared with: network blocks, per-session
    satisfaction, comments and the ratings' distribution.
    """
    scope = _Year(session, year, now or utcnow(), networks)
    sessions = scope.sessions()
    half = {row[0]: half_days(row[4], row[5]) for row in sessions}
    participations, participants = scope.participation_totals()
    confirmed, expected, no_shows, excused = scope.no_shows()
    answers, rating_sum, satisfied = scope.satisfaction_totals()
    totals = Totals(
        sessions=len(sessions), half_days=sum(half.values()),
        cycles=len({row[3] for row in sessions if row[3] is not None}),
        participations=participations, participants=participants, confirmed=confirmed,
        expected=expected, no_shows=no_shows, excused=excused, answers=answers,
        rating_sum=rating_sum, satisfied=satisfied,
    )  # fmt: skip
    figures = YearFigures(year, totals)
    figures.breakdowns = _breakdowns(session, scope, sessions, half)
    if not detailed:
        return figures
    figures.networks = _network_blocks(session, scope)
    figures.satisfaction = _session_satisfaction(scope)
    figures.comments = _comments(scope)
    figures.ratings = {
        int(rating): int(count)
        for rating, count in scope.rows(
            sa.select(col(SatisfactionAnswer.rating), sa.func.count())
            .join(Event, col(Event.id) == col(SatisfactionAnswer.event_id))
            .where(scope.in_scope)
            .group_by(col(SatisfactionAnswer.rating))
        )
    }
    return figures


def _breakdowns(
    session: Session, scope: _Year, sessions: list[Any], half: dict[int, int]
) -> dict[str, list[Row]]:
    unknown = t("presence.stats.unknown")
    half_by_theme: dict[Any, int] = defaultdict(int)
    half_by_format: dict[Any, int] = defaultdict(int)
    for event_id, theme_id, event_format, *_rest in sessions:
        half_by_theme[theme_id] += half[event_id]
        half_by_format[event_format] += half[event_id]
    themes = _names(session, col(Theme.id), col(Theme.name))
    networks = _names(session, col(Network.id), col(Network.name))
    departements = _names(session, col(Departement.code), col(Departement.name))
    profiles = _names(session, col(Profile.id), col(Profile.name))
    structure_types = _names(session, col(StructureType.id), col(StructureType.name))
    half_by_network: dict[Any, int] = defaultdict(int)
    for event_id, network_id in scope.rows(
        sa.select(col(EventNetwork.event_id), col(EventNetwork.network_id))
        .join(Event, col(Event.id) == col(EventNetwork.event_id))
        .where(scope.in_scope, scope.shown_network)
    ):
        half_by_network[network_id] += half[event_id]

    def format_label(key: Any) -> str:
        return t(f"labels.short_formats.{EventFormat(key).value}") if key else unknown

    return {
        "theme": _event_rows(
            scope.by_event_dimension(col(Event.theme_id)), half_by_theme,
            lambda key: themes.get(key, t("presence.stats.no_theme")),
        ),
        "format": _event_rows(scope.by_event_dimension(col(Event.format)), half_by_format, format_label),
        "network": _event_rows(
            scope.by_event_dimension(
                col(EventNetwork.network_id),
                (EventNetwork, col(EventNetwork.event_id) == col(Event.id)),
                scope.shown_network,
            ),
            half_by_network, lambda key: networks.get(key, unknown),
        ),
        "departement": _person_rows(
            scope.by_person_dimension(col(Person.departement_code), []),
            lambda key: f"{key} – {departements.get(key, '')}" if key else unknown,
        ),
        "profile": _person_rows(
            scope.by_person_dimension(col(Person.profile_id), []),
            lambda key: profiles.get(key, unknown),
        ),
        "structure_type": _unknown_last(_person_rows(
            scope.by_person_dimension(col(Person.structure_type_id), []),
            lambda key: structure_types.get(key, unknown),
        )),
    }  # fmt: skip


def _unknown_last(rows: list[Row]) -> list[Row]:
    """« Non renseigné » is not a type: shown apart, after the real ones."""
    return [row for row in rows if row.key != UNKNOWN_KEY] + [
        row for row in rows if row.key == UNKNOWN_KEY
    ]


def unknown_share(rows: list[Row], totals: Totals) -> tuple[float | None, float | None]:
    """Shares of participations and of distinct participants with nothing recorded."""
    row = next((row for row in rows if row.key == UNKNOWN_KEY), None)
    participations = row.participations if row else 0
    participants = row.participants if row else 0
    return (
        participations / totals.participations if totals.participations else None,
        participants / totals.participants if totals.participants else None,
    )


def _network_blocks(session: Session, scope: _Year) -> list[NetworkBlock]:
    joined = (EventNetwork, col(EventNetwork.event_id) == col(Event.id))
    activity = scope.by_event_dimension(col(EventNetwork.network_id), joined, scope.shown_network)
    if not activity:
        return []
    dates: dict[int, list[datetime]] = defaultdict(list)
    for network_id, starts_at in scope.rows(
        sa.select(col(EventNetwork.network_id), col(Event.starts_at))
        .join(Event, col(Event.id) == col(EventNetwork.event_id))
        .where(scope.in_scope, scope.shown_network)
        .order_by(col(Event.starts_at))
    ):
        dates[network_id].append(starts_at)
    members = {
        row[0]: int(row[1])
        for row in scope.rows(
            sa.select(col(NetworkMember.network_id), sa.func.count()).group_by(col(NetworkMember.network_id))
        )
    }  # fmt: skip
    answers = {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in scope.rows(
            sa.select(
                col(EventNetwork.network_id),
                sa.func.count(col(SatisfactionAnswer.id)),
                sa.func.sum(sa.case((col(SatisfactionAnswer.rating) >= 4, 1), else_=0)),
            )
            .select_from(SatisfactionAnswer)
            .join(Event, col(Event.id) == col(SatisfactionAnswer.event_id))
            .join(EventNetwork, col(EventNetwork.event_id) == col(Event.id))
            .where(scope.in_scope)
            .group_by(col(EventNetwork.network_id))
        )
    }  # fmt: skip
    departements = _names(session, col(Departement.code), col(Departement.name))
    blocks = []
    for network in session.execute(
        sa.select(Network).where(col(Network.id).in_(list(activity)))
    ).scalars():
        meetings, participations, participants = activity[network.id]
        rated, satisfied = answers.get(network.id, (0, 0))
        place = departements.get(network.departement_code, "") if network.departement_code else ""
        blocks.append(
            NetworkBlock(
                network.name,
                place,
                meetings,
                participations,
                participants,
                members.get(network.id, 0),
                dates[network.id or 0],
                rated,
                satisfied,
            )
        )
    return sorted(blocks, key=lambda b: b.name.lower())


def _session_satisfaction(scope: _Year) -> list[SessionSatisfaction]:
    participations = (
        sa.select(sa.func.count(col(Attendance.id)))
        .where(
            col(Attendance.event_id) == col(Event.id),
            col(Attendance.status) == AttendanceStatus.PRESENT,
        )
        .scalar_subquery()
    )
    rows = scope.rows(
        sa.select(
            col(Event.title), col(Event.starts_at), participations,
            sa.func.count(col(SatisfactionAnswer.id)), sa.func.avg(col(SatisfactionAnswer.rating)),
            sa.func.sum(sa.case((col(SatisfactionAnswer.rating) >= 4, 1), else_=0)),
        )
        .select_from(Event)
        .join(SatisfactionAnswer, col(SatisfactionAnswer.event_id) == col(Event.id))
        .where(scope.in_scope)
        .group_by(col(Event.id), col(Event.title), col(Event.starts_at))
        .order_by(col(Event.starts_at))
    )  # fmt: skip
    return [
        SessionSatisfaction(title, starts_at, int(present or 0), int(count), float(average), int(good or 0))
        for title, starts_at, present, count, average, good in rows
    ]  # fmt: skip


def _comments(scope: _Year) -> list[tuple[int, str]]:
    """The latest comments (anonymous: no name is ever attached), for the « verbatims »."""
    return [
        (int(rating), comment)
        for rating, comment in scope.rows(
            sa.select(col(SatisfactionAnswer.rating), col(SatisfactionAnswer.comment))
            .join(Event, col(Event.id) == col(SatisfactionAnswer.event_id))
            .where(scope.in_scope, col(SatisfactionAnswer.comment) != "")
            .order_by(col(SatisfactionAnswer.answered_at).desc(), col(SatisfactionAnswer.id).desc())
            .limit(COMMENTS_SHOWN)
        )
    ]


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change in %, None when there is nothing to compare with."""
    if current is None or not previous:
        return None
    return (current - previous) / previous * 100
