"""Importing subscribers from another tool's CSV export (Brevo, Mailchimp, a spreadsheet).

Those exports differ in separator (``;`` from a French Excel, ``,`` from
Mailchimp), encoding (UTF-8, or Windows Latin-1 from Excel) and header names
(``EMAIL``, ``Email Address``, ``Adresse e-mail``, ``Courriel``…). Each is
detected rather than asked for. Every line gets an outcome and, unless it
was simply imported, the reason; an address that left (unsubscribed or
bounced) is never made active again by an import.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from relais.csvread import is_too_long, too_long
from relais.errors import DomainError, InvalidInput
from relais.i18n import t
from relais.newsletter import services
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.people import services as people
from relais.reference import services as reference
from relais.timefmt import local, utcnow

#: Accepted header names (normalised: lower case, no accents, letters and digits only),
#: most specific first: « Courriel » wins over « Adresse » when a sheet has both.
HEADERS: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "emailaddress", "adresseemail", "adressemail", "adressecourriel",
        "courriel", "mail", "adresseelectronique", "adresse",
    ),
    "first_name": ("prenom", "firstname", "givenname", "first"),
    "last_name": ("nom", "lastname", "nomdefamille", "surname", "familyname", "last"),
    "organisation": (
        "structure", "organisation", "organization", "organisme", "societe", "entreprise",
        "company", "employeur", "etablissement",
    ),
    "structure_type": (
        "typedestructure", "typestructure", "structuretype", "typedorganisation",
        "typeorganisation", "organisationtype", "organizationtype", "typeofstructure",
        "typeoforganisation", "typeoforganization", "categoriedestructure", "sector", "secteur",
    ),
    "left": (
        "emailblacklisted", "blacklisted", "desabonne", "desinscrit", "unsubscribed", "optout",
    ),
}  # fmt: skip
TRUE_WORDS = {"1", "yes", "oui", "true", "vrai", "x", "y", "o"}
LIMITS = {"first_name": people.MAX_NAME, "last_name": people.MAX_NAME, "organisation": 200}


class Outcome(StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    SKIPPED = "skipped"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Line:
    number: int
    email: str
    outcome: Outcome
    reason: str = ""


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)
    #: Values left out of lines that were imported all the same (an unknown type of structure).
    notes: list[Line] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    def add(
        self, number: int, email: str, outcome: Outcome, reason_key: str = "", **ctx: object
    ) -> None:
        reason = t(f"newsletter.import.reasons.{reason_key}", **ctx) if reason_key else ""
        self.lines.append(Line(number, email, outcome, reason))


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1 (never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=header.count)


def _normalise(name: str) -> str:
    stripped = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in stripped.lower() if ch.isalnum())


def columns(header: list[str]) -> dict[str, int]:
    """Which column holds which field; raises when there is no address column."""
    normalised = [_normalise(name) for name in header]
    found: dict[str, int] = {}
    for name, candidates in HEADERS.items():
        for candidate in candidates:
            if candidate in normalised:
                found[name] = normalised.index(candidate)
                break
    if "email" not in found:
        shown = ", ".join(name.strip() for name in header if name.strip())[:200]
        raise InvalidInput("newsletter_import_no_email_column", found=shown)
    return found


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return " ".join(row[index].split())


@dataclass(frozen=True)
class Parsed:
    """A whole file read and checked before anything is written."""

    where: dict[str, int]
    rows: list[tuple[int, list[str]]]


def parse(raw: bytes) -> Parsed:
    """The columns and the non-empty rows (with their line numbers) of a subscribers CSV."""
    text = decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    lines = _checked(reader)
    first = next(lines, None)
    if first is None:
        raise InvalidInput("newsletter_import_empty")
    where = columns(first[1])
    rows = [(number, row) for number, row in lines if any(cell.strip() for cell in row)]
    return Parsed(where, rows)


class Importer:
    """The rows of one file, imported one at a time into whatever transaction is open."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.report = Report()
        self.seen: dict[str, int] = {}
        self.source = t(
            "newsletter.import.consent_source", day=local(utcnow()).strftime("%d/%m/%Y")
        )

    def remember(self, rows: list[tuple[int, list[str]]]) -> None:
        """Rows written by an earlier try: known, so a later duplicate still says so."""
        for number, row in rows:
            try:
                address = people.normalize_email(_cell(row, self.parsed.where["email"]))
            except DomainError:
                continue
            self.seen.setdefault(address, number)

    def row(self, session: Session, item: tuple[int, list[str]]) -> None:
        number, row = item
        _import_row(session, row, number, self.parsed.where, self.source, self.seen, self.report)

    def counts(self) -> dict[str, int]:
        return {outcome.value: self.report.count(outcome) for outcome in Outcome}


def import_csv(session: Session, raw: bytes, *, actor: str = "cli") -> Report:
    """Import every line in the caller's transaction (all-or-nothing, for small files)."""
    importer = Importer(parse(raw))
    for item in importer.parsed.rows:
        importer.row(session, item)
    return importer.report


def _checked(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """The reader's rows and their line numbers; a cell too long for csv names its line."""
    last_line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if is_too_long(error):
                raise too_long(last_line + 1) from None
            reason = t("import.csv_broken", line=last_line + 1)
            raise InvalidInput("import_unreadable", file="CSV", reason=reason) from None
        last_line = reader.line_num
        yield last_line, row


def _import_row(
    session: Session,
    row: list[str],
    number: int,
    where: dict[str, int],
    source: str,
    seen: dict[str, int],
    report: Report,
) -> None:
    raw_email = _cell(row, where["email"])
    if not raw_email:
        report.add(number, "", Outcome.REJECTED, "missing_email")
        return
    try:
        address = people.normalize_email(raw_email)
    except DomainError:
        report.add(number, raw_email, Outcome.REJECTED, "invalid_email")
        return
    values = {name: _cell(row, where.get(name)) for name in LIMITS}
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            label = t(f"newsletter.import.fields.{name}")
            report.add(number, address, Outcome.REJECTED, "too_long", field=label, limit=limit)
            return
    if address in seen:
        report.add(number, address, Outcome.SKIPPED, "duplicate", line=seen[address])
        return
    seen[address] = number
    left = _cell(row, where.get("left")).lower() in TRUE_WORDS
    kind = _structure_type(
        session, _cell(row, where.get("structure_type")), number, address, report
    )
    existing = services.by_email(session, address)
    if existing is None:
        _create(session, address, values, kind, source, left, number, report)
    else:
        _update(session, existing, values, kind, source, left, number, report)


def _structure_type(
    session: Session, text: str, number: int, address: str, report: Report
) -> int | None:
    """The file's type of structure, mapped to the list; an unknown one is said, not guessed.

    The line is imported all the same (the type is optional): the report tells
    which value was left out and which ones are understood.
    """
    if not text:
        return None
    found = reference.match_structure_type(session, text)
    if found is None:
        choices = ", ".join(kind.name for kind in reference.structure_types(session))
        report.notes.append(
            Line(number, address, Outcome.IMPORTED, t(
                "newsletter.import.reasons.unknown_structure_type", value=text[:60], choices=choices
            ))
        )  # fmt: skip
        return None
    return found.id


def _create(
    session: Session,
    address: str,
    values: dict[str, str],
    kind: int | None,
    source: str,
    left: bool,
    number: int,
    report: Report,
) -> None:
    person = people.by_email(session, address)
    subscriber = Subscriber(
        email=address,
        person_id=person.id if person else None,
        first_name=values["first_name"],
        last_name=values["last_name"],
        organisation=values["organisation"],
        structure_type_id=kind,
    )
    if left:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.left_at = utcnow()
        session.add(subscriber)
        session.flush()
        report.add(number, address, Outcome.SKIPPED, "left_in_source")
        return
    session.add(subscriber)
    session.flush()
    services.activate(session, subscriber, channel="import", source=source)
    report.add(number, address, Outcome.IMPORTED)


def _update(
    session: Session,
    subscriber: Subscriber,
    values: dict[str, str],
    kind: int | None,
    source: str,
    left: bool,
    number: int,
    report: Report,
) -> None:
    address = subscriber.email
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        report.add(number, address, Outcome.SKIPPED, "unsubscribed")
        return
    if subscriber.status == SubscriberStatus.BOUNCED:
        report.add(number, address, Outcome.SKIPPED, "bounced")
        return
    if left:
        services.unsubscribe(session, subscriber, channel="import")
        report.add(number, address, Outcome.UPDATED, "left_in_source_now")
        return
    changed = [
        name for name, value in values.items() if value and value != getattr(subscriber, name)
    ]
    for name in changed:
        setattr(subscriber, name, values[name])
    if kind is not None and kind != subscriber.structure_type_id:
        subscriber.structure_type_id = kind
        changed.append("structure_type")
    if subscriber.status == SubscriberStatus.PENDING:
        services.activate(session, subscriber, channel="import", source=source)
        report.add(number, address, Outcome.UPDATED, "pending_activated")
    elif changed:
        subscriber.updated_at = utcnow()
        session.add(subscriber)
        labels = ", ".join(t(f"newsletter.import.fields.{name}") for name in changed)
        report.add(number, address, Outcome.UPDATED, "changed", fields=labels)
    else:
        report.add(number, address, Outcome.SKIPPED, "already_active")
