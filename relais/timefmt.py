"""Aware times: stored in UTC, shown in the configured zone, in French.

« mardi 8 avril 2025, 9 h 30 » is how the seed documents write dates; every
channel goes through these functions so that all of them agree.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


SHORT_DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
SHORT_MONTHS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


def display_zone() -> ZoneInfo:
    from relais.settings import get_settings

    return get_settings().tz


def as_utc(moment: datetime) -> datetime:
    """Normalise to aware UTC; naive values are UTC as read back from SQLite."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    return as_utc(moment).astimezone(zone or display_zone())


def format_time(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """« 9 h 30 », « 14 h »."""
    value = local(moment, zone)
    return f"{value.hour} h {value.minute:02d}" if value.minute else f"{value.hour} h"


def format_date(moment: datetime | date, zone: ZoneInfo | None = None) -> str:
    """« mardi 8 avril 2025 », « samedi 1er mars 2025 »."""
    value = local(moment, zone).date() if isinstance(moment, datetime) else moment
    day = "1er" if value.day == 1 else str(value.day)
    return f"{DAYS[value.weekday()]} {day} {MONTHS[value.month - 1]} {value.year}"


def format_datetime(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """« mardi 8 avril 2025, 9 h 30 »."""
    return f"{format_date(moment, zone)}, {format_time(moment, zone)}"


def format_short(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """« mar. 8 avr. 2025, 9 h 30 »: for tables, where the full names do not fit."""
    value = local(moment, zone)
    day = "1er" if value.day == 1 else str(value.day)
    month = SHORT_MONTHS[value.month - 1]
    return f"{SHORT_DAYS[value.weekday()]} {day} {month} {value.year}, {format_time(moment, zone)}"


def short_day(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """« 08/04 »: tells apart the sessions of a cycle on a narrow button."""
    return f"{local(moment, zone):%d/%m}"


def format_range(start: datetime, end: datetime, zone: ZoneInfo | None = None) -> str:
    """« mardi 8 avril 2025, 9 h 30 – 12 h » or across days with both dates."""
    if local(start, zone).date() == local(end, zone).date():
        return f"{format_datetime(start, zone)} – {format_time(end, zone)}"
    return f"{format_datetime(start, zone)} – {format_datetime(end, zone)}"


def format_number(value: float | int, decimals: int = 0) -> str:
    """French grouping with a narrow no-break space and a decimal comma: « 5 773 », « 1,8 »."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


_FRENCH_MOMENT = re.compile(
    r"^(?:[a-z]+\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\s+(\d{4})\s*(?:a|,)?\s*(\d{1,2})\s*[h:]\s*(\d{2})?$"
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _parse_french(text: str) -> datetime | None:
    """« 8 avril 2025 9h30 », « mardi 1er avril 2025 à 14 h » as a naive local time."""
    match = _FRENCH_MOMENT.match(" ".join(_ascii(text).split()))
    if match is None:
        return None
    day, month_name, year, hour, minute = match.groups()
    months = [_ascii(name) for name in MONTHS]
    if month_name not in months:
        return None
    try:
        return datetime(
            int(year), months.index(month_name) + 1, int(day), int(hour), int(minute or 0)
        )
    except ValueError:
        return None


def parse_local(text: str, zone: ZoneInfo | None = None) -> datetime:
    """Parse ``JJ/MM/AAAA HH:MM``, ISO ``AAAA-MM-JJ HH:MM`` or « 8 avril 2025 9h30 »
    as local time, return UTC.

    Raises ValueError (the caller words the French message).
    """
    french = _parse_french(text)
    if french is not None:
        return french.replace(tzinfo=zone or display_zone()).astimezone(UTC)
    cleaned = " ".join(text.strip().replace("T", " ").replace("h", ":").split())
    for pattern in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:", "%Y-%m-%d %H:"):
        try:
            naive = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone or display_zone()).astimezone(UTC)
    raise ValueError(text)


def half_days(start: datetime, end: datetime) -> int:
    """An event's length in half-days, the unit of the activity reports (at least one).

    Up to 4 h 30 on one day is one half-day, longer is two; an event over
    several days counts two half-days per calendar day.
    """
    hours = (as_utc(end) - as_utc(start)) / timedelta(hours=1)
    days = (local(end).date() - local(start).date()).days
    if days >= 1:
        return 2 * (days + 1)
    return 1 if hours <= 4.5 else 2
