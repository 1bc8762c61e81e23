"""Webinar attendance from the reports Zoom and Teams export.

Neither tool exports the same way twice: Zoom writes UTF-8 CSV with
« Nom (nom d'origine) » and « E-mail de l'utilisateur » (optionally after a
meeting summary), Teams a UTF-16 tab-separated file with a « Résumé » block
before the participants table, in French or English. So the reader decodes
by byte-order mark, sniffs each line's delimiter, finds the participants'
header row by its column names, and reads until the table ends.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from relais import audit
from relais.attendance import services as attendance
from relais.attendance.models import AttendanceMethod, AttendanceStatus
from relais.csvread import is_too_long, too_long
from relais.errors import InvalidInput
from relais.events.models import Event
from relais.i18n import os_reason, t
from relais.people import services as people
from relais.people.models import Person
from relais.reference import services as reference
from relais.registrations.models import Registration, RegistrationStatus

NAME_COLUMNS = (
    "nom (nom d'origine)", "name (original name)", "nom complet", "full name", "nom",
    "name", "participant", "nom du participant",
)  # fmt: skip
EMAIL_COLUMNS = (
    "e-mail de l'utilisateur", "user email", "e-mail", "email", "adresse e-mail",
    "adresse de messagerie", "courriel", "id du participant (upn)", "participant id (upn)",
)  # fmt: skip
DURATION_COLUMNS = (
    "durée (minutes)", "duration (minutes)", "durée de la réunion", "in-meeting duration",
    "durée dans la réunion", "durée", "duration", "temps de présence",
)  # fmt: skip
#: A registration question some webinars ask (« Type de structure »), in French or English.
STRUCTURE_TYPE_COLUMNS = (
    "type de structure", "type structure", "type d'organisation", "type d'organisme",
    "structure type", "organisation type", "organization type", "type of organisation",
    "type of organization", "type of structure",
)  # fmt: skip
_UNITS = {"h": 60.0, "min": 1.0, "m": 1.0, "s": 1 / 60, "sec": 1 / 60}


@dataclass(frozen=True)
class ReportLine:
    """One participant line of a report (``line`` is its number in the file)."""

    line: int
    name: str
    email: str
    minutes: float
    structure_type: str = ""


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if len(raw) > 1 and raw[1:2] == b"\x00":
        return raw.decode("utf-16-le")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _cells(line: str, number: int) -> list[str]:
    delimiter = max("\t;,", key=line.count)
    try:
        return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
    except csv.Error as error:
        if is_too_long(error):
            raise too_long(number) from None
        return [line.strip()]


def _header_key(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").replace("’", "'").lower().split())


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    keys = [_header_key(cell) for cell in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


def parse_minutes(text: str) -> float:
    """« 92 », « 1 h 32 min », « 1h 32m 5s », « 01:32:05 » → minutes."""
    value = text.strip().lower().replace(",", ".")
    if not value:
        return 0.0
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    if re.fullmatch(r"\d+:\d{2}(:\d{2})?", value):
        parts = [int(p) for p in value.split(":")]
        if len(parts) == 2:
            parts.insert(0, 0)
        return parts[0] * 60 + parts[1] + parts[2] / 60
    pairs = re.findall(r"(\d+(?:\.\d+)?)\s*(h|min|m|sec|s)\b", value)
    if not pairs:
        raise ValueError(text)
    return sum(float(number) * _UNITS[unit] for number, unit in pairs)


@dataclass(frozen=True)
class BadLine:
    """A participant line that cannot be read, with the French reason (the browser lists them)."""

    line: int
    text: str
    reason: str


def read_report(path: Path) -> list[ReportLine]:
    """The participants of a Zoom or Teams report; raises InvalidInput if none can be read."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput("import_unreadable", file=path.name, reason=os_reason(error)) from None
    return parse_report(raw, path.name)


def parse_report(raw: bytes, name: str, bad: list[BadLine] | None = None) -> list[ReportLine]:
    """:func:`read_report` on the bytes of an uploaded file.

    Without ``bad`` an unreadable line stops the import (the command line's
    rule); with it, each such line is put there with its reason and the others
    are read, so the back office can show the whole file line by line.
    """
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        raise InvalidInput("import_unreadable", file=name, reason=t("import.binary"))
    lines = text.splitlines()
    for index, line in enumerate(lines):
        header = _cells(line, index + 1) if line.strip() else []
        name_at = _find(header, NAME_COLUMNS)
        email_at = _find(header, EMAIL_COLUMNS)
        minutes_at = _find(header, DURATION_COLUMNS)
        if name_at is not None and (email_at is not None or minutes_at is not None):
            kind_at = _find(header, STRUCTURE_TYPE_COLUMNS)
            at = (name_at, email_at, minutes_at, kind_at)
            return _read_rows(name, lines, index, at, bad)
    raise InvalidInput("presence.report_no_table", file=name)


def _cell(cells: list[str], at: int | None) -> str:
    return cells[at] if at is not None and at < len(cells) else ""


def _read_rows(
    name: str,
    lines: list[str],
    header_index: int,
    at: tuple[int, int | None, int | None, int | None],
    bad: list[BadLine] | None,
) -> list[ReportLine]:
    """The table's lines; ``at`` gives the name, e-mail, duration and type columns."""
    name_at, email_at, minutes_at, kind_at = at
    found: list[ReportLine] = []
    for number, line in enumerate(lines[header_index + 1 :], start=header_index + 2):
        if not line.strip():
            if found or bad:
                break
            continue
        cells = _cells(line, number)
        if len(cells) <= name_at or re.fullmatch(r"\d+\.\s.*", cells[0]):
            break
        problem = _line_problem(cells, name_at, email_at, minutes_at)
        if problem is not None and bad is not None:
            bad.append(BadLine(number, line.strip()[:200], problem))
            continue
        duration = _cell(cells, minutes_at)
        try:
            minutes = parse_minutes(duration)
        except ValueError:
            raise InvalidInput(
                "presence.report_bad_duration", file=name, line=number, value=duration
            ) from None
        found.append(
            ReportLine(
                number, cells[name_at], _cell(cells, email_at), minutes, _cell(cells, kind_at)
            )
        )
    if not found and not bad:
        raise InvalidInput("presence.report_no_table", file=name)
    return found


def _line_problem(
    cells: list[str], name_at: int, email_at: int | None, minutes_at: int | None
) -> str | None:
    """Why a participant line cannot be used (French), or None."""
    if not cells[name_at] and not _cell(cells, email_at):
        return t("presence.report_line.no_name")
    duration = _cell(cells, minutes_at)
    try:
        parse_minutes(duration)
    except ValueError:
        return t("presence.report_line.bad_duration", value=duration[:40])
    return None


def name_key(name: str) -> str:
    """Accents, case, punctuation and word order ignored: « DUPONT Marie-Hélène » = « marie helene dupont »."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return " ".join(sorted(re.findall(r"[a-z0-9]+", plain)))


def _candidate_names(reported: str) -> list[str]:
    """Zoom's « Nom (nom d'origine) »: the shown name, then the original one."""
    match = re.fullmatch(r"\s*(.*?)\s*\((.*)\)\s*", reported)
    if match:
        return [match.group(1), match.group(2)]
    return [reported]


@dataclass
class ImportResult:
    """What an import did; ``unmatched`` lines are reported to the coordinator, not guessed."""

    marked: dict[int, bool] = field(default_factory=dict)
    unmatched: list[ReportLine] = field(default_factory=list)
    ambiguous: list[ReportLine] = field(default_factory=list)
    too_short: list[ReportLine] = field(default_factory=list)
    absent: int = 0
    #: People whose empty type of structure the report filled; values it could not map.
    types_filled: int = 0
    #: The person each matched line was found to be (line number → person id).
    persons: dict[int, int] = field(default_factory=dict)
    unknown_types: list[ReportLine] = field(default_factory=list)

    @property
    def newly_present(self) -> int:
        return sum(1 for changed in self.marked.values() if changed)


class _Matcher:
    """E-mail first, then the name among the session's registrants, then everyone."""

    def __init__(self, session: Session, event_id: int) -> None:
        people = session.exec(select(Person).where(col(Person.erased_at).is_(None))).all()
        registered = set(
            session.exec(
                select(Registration.person_id).where(
                    Registration.event_id == event_id,
                    Registration.status != RegistrationStatus.CANCELLED,
                )
            ).all()
        )
        self.by_email = {p.email: p for p in people if p.email}
        self.registered: dict[str, list[Person]] = defaultdict(list)
        self.everyone: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            key = name_key(person.full_name)
            if not key:
                continue
            self.everyone[key].append(person)
            if person.id in registered:
                self.registered[key].append(person)

    def match(self, line: ReportLine) -> Person | list[Person] | None:
        email = line.email.strip().lower()
        if email in self.by_email:
            return self.by_email[email]
        for index in (self.registered, self.everyone):
            for candidate in _candidate_names(line.name):
                people = index.get(name_key(candidate), [])
                if len(people) == 1:
                    return people[0]
                if len(people) > 1:
                    return people
        return None


def _keep_structure_type(
    session: Session, person: Person, line: ReportLine, result: ImportResult
) -> None:
    """The report's type for someone who gave none; what the person chose always wins."""
    if not line.structure_type:
        return
    kind = reference.match_structure_type(session, line.structure_type)
    if kind is None:
        result.unknown_types.append(line)
    elif kind.id is not None and people.fill_structure_type(session, person, kind.id):
        result.types_filled += 1


def apply(
    session: Session,
    event: Event,
    lines: list[ReportLine],
    *,
    actor: str,
    min_minutes: float = 0,
    mark_absent: bool = False,
) -> ImportResult:
    """Mark present everyone matched who stayed ``min_minutes`` (summed over reconnections)."""
    assert event.id is not None
    result = ImportResult()
    matcher = _Matcher(session, event.id)
    minutes: dict[int, float] = defaultdict(float)
    first_line: dict[int, ReportLine] = {}
    for line in lines:
        found = matcher.match(line)
        if isinstance(found, list):
            result.ambiguous.append(line)
        elif found is None:
            result.unmatched.append(line)
        else:
            assert found.id is not None
            minutes[found.id] += line.minutes
            result.persons[line.line] = found.id
            first_line.setdefault(found.id, line)
            _keep_structure_type(session, found, line, result)
    present = [pid for pid, total in minutes.items() if total >= min_minutes]
    result.too_short = [first_line[pid] for pid, total in minutes.items() if total < min_minutes]
    changes = attendance.mark(
        session, event.id, present, AttendanceStatus.PRESENT, actor, AttendanceMethod.IMPORT
    )
    result.marked = dict(zip(present, changes, strict=True))
    if mark_absent:
        missing = [
            line.person.id
            for line in attendance.roster(session, event.id)
            if line.person.id not in result.marked and line.status is None
        ]
        ids = [pid for pid in missing if pid is not None]
        attendance.mark(
            session, event.id, ids, AttendanceStatus.ABSENT, actor, AttendanceMethod.IMPORT
        )
        result.absent = len(ids)
    audit.record(
        session, actor, "attendance.imported", "event", event.id,
        present=len(present), unmatched=len(result.unmatched), ambiguous=len(result.ambiguous),
        too_short=len(result.too_short), absent=result.absent, types=result.types_filled,
    )  # fmt: skip
    return result
