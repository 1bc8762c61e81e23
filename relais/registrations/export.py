"""The registration list of an event, as rows, CSV or XLSX, safe to open in a spreadsheet.

A value a person typed (a name, an organisation) that starts with ``=``,
``+``, ``-``, ``@`` or a tab would run as a formula in Excel or LibreOffice
(CSV injection, OWASP); such cells are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, select

from relais import audit
from relais.events.models import Event
from relais.exports.safe import safe_text
from relais.exports.sheets import emargement_pdf
from relais.i18n import columns, t
from relais.people.models import Organisation, Person
from relais.reference.models import Profile, StructureType
from relais.registrations import answers
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import local

STATUS_ORDER = {
    RegistrationStatus.CONFIRMED: 0,
    RegistrationStatus.WAITLISTED: 1,
    RegistrationStatus.CANCELLED: 2,
}


@dataclass(frozen=True)
class Line:
    """One registration as a coordinator reads it."""

    registration: Registration
    person: Person
    organisation: str
    structure_type: str
    profile: str
    position: int | None
    #: What the person answered from their calendar (« accepte », « refuse »…), if anything.
    answer: str = ""

    @property
    def status_label(self) -> str:
        return t(f"labels.registration_statuses.{self.registration.status.value}")

    @property
    def position_label(self) -> str:
        return str(self.position) if self.position is not None else ""

    def cells(self) -> list[str]:
        person = self.person
        return [
            person.last_name,
            person.first_name,
            person.email or "",
            person.phone or "",
            self.organisation,
            self.structure_type,
            self.profile,
            person.departement_code or "",
            self.status_label,
            self.position_label,
            local(self.registration.created_at).strftime("%d/%m/%Y %H:%M"),
            self.registration.source,
            self.answer,
        ]


def header() -> list[str]:
    return columns("admin.export.columns")


def lines(session: Session, event_id: int) -> list[Line]:
    """Confirmed first, then the waiting list in queue order, then cancellations."""
    organisations = {o.id: o.name for o in session.exec(select(Organisation))}
    profiles = {p.id: p.name for p in session.exec(select(Profile))}
    types = {kind.id: kind.name for kind in session.exec(select(StructureType))}
    found = registrations.for_event(session, event_id)
    found.sort(key=lambda pair: STATUS_ORDER[pair[0].status])
    answered = answers.latest(session, [r.id for r, _person in found if r.id is not None])
    result: list[Line] = []
    waiting = 0
    for registration, person in found:
        position = None
        if registration.status == RegistrationStatus.WAITLISTED:
            waiting += 1
            position = waiting
        organisation = organisations.get(person.organisation_id, "")
        profile = profiles.get(person.profile_id, "")
        kind = types.get(person.structure_type_id, "")
        answer = answers.label(answered.get(registration.id or 0))
        result.append(Line(registration, person, organisation, kind, profile, position, answer))
    return result


def to_csv(found: list[Line]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what French Excel opens without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header())
    for line in found:
        writer.writerow([safe_text(cell) for cell in line.cells()])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(event: Event, found: list[Line]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("admin.export.sheet")
    sheet.append(header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in found:
        sheet.append([safe_text(cell) for cell in line.cells()])
    sheet.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKLM", (18, 16, 30, 14, 28, 26, 6, 16, 9, 17, 10, 10, 16), strict=True
    ):
        sheet.column_dimensions[column].width = width
    book.properties.title = event.title[:200]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(
    session: Session, event: Event, kind: str, actor: str, found: list[Line] | None = None
) -> tuple[str, bytes]:
    """(file name, content) of the list, recorded in the audit log (personal data leaves).

    ``found`` is the rows a coordinator filtered (all of them otherwise); ``pdf``
    is the émargement sheet of the confirmed people among them.
    """
    assert event.id is not None
    found = lines(session, event.id) if found is None else found
    if kind == "pdf":
        people = {line.person.id for line in found if line.person.id is not None}
        content = emargement_pdf(session, event, person_ids=people)
        name = f"emargement-{event.code}.pdf"
    else:
        content = to_xlsx(event, found) if kind == "xlsx" else to_csv(found)
        name = f"inscriptions-{event.code}.{kind}"
    audit.record(
        session, actor, "registrations.exported", "event", event.id, format=kind, rows=len(found)
    )
    return name, content
