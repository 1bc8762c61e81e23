"""The figures as French tables, shared by ``relais stats`` (terminal) and the HTML report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from relais.i18n import columns, t
from relais.stats.figures import BREAKDOWNS, Row, Totals, YearFigures, change, unknown_share
from relais.timefmt import MONTHS, format_number, local

NO_VALUE = "—"
MINUS = "\u2212"
EVENT_DIMENSIONS = ("theme", "format", "network")
#: Breakdowns whose reading depends on how many people said nothing: the share is stated.
STATED_UNKNOWN = ("structure_type",)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


def number(value: float | None, decimals: int = 0) -> str:
    return NO_VALUE if value is None else format_number(value, decimals)


def percent(rate: float | None, decimals: int = 0) -> str:
    """A share (0–1) as « 85 % » with a narrow no-break space."""
    return NO_VALUE if rate is None else f"{format_number(rate * 100, decimals)}\u202f%"


def evolution(current: float | None, previous: float | None) -> str:
    """« +12 % », « −5 % », « — » when there is nothing to compare with."""
    value = change(current, previous)
    if value is None:
        return NO_VALUE
    return f"{_signed(value)}\u202f%"


def _signed(value: float) -> str:
    """« +12 », « −5 », « 0 » (rounded first, so no « −0 »)."""
    rounded = round(value)
    if rounded == 0:
        return "0"
    return f"{'+' if rounded > 0 else MINUS}{format_number(abs(rounded))}"


def short_date(moment: datetime) -> str:
    """« 15 mai » as in the seed reports' network blocks."""
    value = local(moment)
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]}"


#: (field of Totals, decimals, is a rate) in the order of ``presence.stats.key_rows``.
KEY_FIELDS = (
    ("sessions", 0, False), ("half_days", 0, False), ("cycles", 0, False),
    ("participations", 0, False), ("participants", 0, False), ("per_participant", 1, False),
    ("confirmed", 0, False), ("no_show_rate", 1, True), ("excused", 0, False),
    ("answers", 0, False), ("average_rating", 1, False), ("satisfaction_rate", 0, True),
)  # fmt: skip


def key_figures(current: YearFigures, previous: YearFigures) -> Table:
    labels = columns("presence.stats.key_rows")
    rows = []
    for label, (name, decimals, is_rate) in zip(labels, KEY_FIELDS, strict=True):
        now, before = getattr(current.totals, name), getattr(previous.totals, name)
        if is_rate:
            rows.append(
                [label, percent(now, decimals), percent(before, decimals), _points(now, before)]
            )
        else:
            rows.append(
                [label, number(now, decimals), number(before, decimals), evolution(now, before)]
            )
    headings = columns("presence.stats.key_columns", year=current.year, previous=previous.year)
    return Table("key", t("presence.stats.key_title", year=current.year), headings, rows)


def _points(current: float | None, previous: float | None) -> str:
    """A change of a rate, in percentage points: « +3 pts »."""
    if current is None or previous is None:
        return NO_VALUE
    return t("presence.stats.points", value=_signed((current - previous) * 100))


def breakdown(key: str, current: YearFigures, previous: YearFigures) -> Table:
    before = {row.key: row for row in previous.breakdowns.get(key, [])}
    total = current.totals.participations
    people = current.totals.participants
    rows: list[list[str]] = []
    for row in current.breakdowns.get(key, []):
        old: Row | None = before.get(row.key)
        cells = [row.label]
        if key in EVENT_DIMENSIONS:
            cells += [number(row.sessions), number(row.half_days)]
        cells += [
            number(row.participations),
            percent(row.participations / total if total else None),
            number(row.participants),
        ]
        if key not in EVENT_DIMENSIONS:
            cells.append(percent(row.participants / people if people else None))
        cells.append(evolution(row.participations, old.participations if old else None))
        rows.append(cells)
    shape = "event" if key in EVENT_DIMENSIONS else "person"
    headings = columns(f"presence.stats.{shape}_columns", previous=previous.year)
    headings[0] = t(f"presence.stats.dimensions.{key}")
    note = (
        _unknown_note(current.breakdowns.get(key, []), current.totals)
        if key in STATED_UNKNOWN
        else ""
    )
    return Table(key, t(f"presence.stats.titles.{key}", year=current.year), headings, rows, note)


def _unknown_note(rows: list[Row], totals: Totals) -> str:
    """« Non renseigné : 12 % des participations… », stated even at 0 %."""
    participations, participants = unknown_share(rows, totals)
    return t(
        "presence.stats.unknown_share",
        participations=percent(participations),
        participants=percent(participants),
    )


def networks(current: YearFigures) -> Table:
    rows = [
        [
            block.name, block.departement or NO_VALUE, number(block.meetings),
            number(block.participations), number(block.participants), number(block.members),
            percent(block.satisfaction_rate), " | ".join(short_date(d) for d in block.dates),
        ]
        for block in current.networks
    ]  # fmt: skip
    return Table(
        "networks",
        t("presence.stats.titles.networks", year=current.year),
        columns("presence.stats.network_columns"),
        rows,
    )


def satisfaction(current: YearFigures) -> Table:
    rows = [
        [
            f"{local(item.starts_at).strftime('%d/%m/%Y')} — {item.title}",
            number(item.participations), number(item.answers), number(item.average, 1),
            percent(item.satisfaction_rate),
        ]
        for item in current.satisfaction
    ]  # fmt: skip
    return Table(
        "satisfaction",
        t("presence.stats.titles.satisfaction", year=current.year),
        columns("presence.stats.satisfaction_columns"),
        rows,
    )


def all_tables(current: YearFigures, previous: YearFigures) -> list[Table]:
    return [
        key_figures(current, previous),
        *(breakdown(key, current, previous) for key in BREAKDOWNS),
        networks(current),
        satisfaction(current),
    ]


def totals_line(totals: Totals) -> dict[str, str]:
    """The headline figures, formatted, for the report's first page."""
    return {
        "participations": number(totals.participations),
        "participants": number(totals.participants),
        "half_days": number(totals.half_days),
        "sessions": number(totals.sessions),
        "per_participant": number(totals.per_participant, 1),
        "satisfaction_rate": percent(totals.satisfaction_rate),
        "no_show_rate": percent(totals.no_show_rate, 1),
        "answers": number(totals.answers),
        "average_rating": number(totals.average_rating, 1),
    }
