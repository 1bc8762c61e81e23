"""The feuille d'émargement (signed attendance sheet) and the registrations table.

Funders (ANCT, DREETS, FSE+) ask for a sheet signed per half-day: a session
longer than a half-day gets a morning and an afternoon column (on a landscape
page, so both stay wide enough to sign), and a session over several days one
page set per day.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from relais.attendance.models import Attendance
from relais.events.models import Event
from relais.events.services import place_label
from relais.exports.pdf import fonts, funders_line, para, printable
from relais.exports.safe import Cell, write_csv, write_xlsx
from relais.i18n import columns, t
from relais.people.models import Organisation, Person
from relais.reference.models import Profile
from relais.registrations.models import Registration, RegistrationStatus
from relais.settings import get_settings
from relais.timefmt import format_date, format_datetime, format_range, half_days, local, utcnow


@dataclass(frozen=True)
class SheetRow:
    person: Person
    organisation: str
    profile: str
    registration: Registration
    attendance: Attendance | None


def rows_for(session: Session, event_id: int, *, confirmed_only: bool) -> list[SheetRow]:
    """Registrations of a session with the person's organisation, profile and attendance."""
    query = (
        sa_select(Registration, Person, col(Organisation.name), col(Profile.name), Attendance)
        .join(Person, col(Person.id) == Registration.person_id)
        .outerjoin(Organisation, col(Organisation.id) == Person.organisation_id)
        .outerjoin(Profile, col(Profile.id) == Person.profile_id)
        .outerjoin(
            Attendance,
            (col(Attendance.event_id) == Registration.event_id)
            & (col(Attendance.person_id) == Registration.person_id),
        )
        .where(col(Registration.event_id) == event_id)
    )
    if confirmed_only:
        query = query.where(col(Registration.status) == RegistrationStatus.CONFIRMED)
    rows = [
        SheetRow(person, organisation or "", profile or "", registration, attendance)
        for registration, person, organisation, profile, attendance in session.execute(query)
    ]
    return sorted(
        rows,
        key=lambda r: (r.person.last_name.lower(), r.person.first_name.lower(), r.person.id or 0),
    )


def _signature_columns(event: Event) -> list[str]:
    if half_days(event.starts_at, event.ends_at) == 1:
        return [t("presence.sheet.signature")]
    return [t("presence.sheet.morning"), t("presence.sheet.afternoon")]


def _days(event: Event) -> list[date]:
    first, last = local(event.starts_at).date(), local(event.ends_at).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


#: The least height of a row: room to sign. Rows with long wrapped names grow taller.
SIGNING_HEIGHT = 0.85 * cm


def _signing_space() -> Spacer:
    """An empty signature cell that keeps its row tall enough to sign in."""
    return Spacer(0.1, SIGNING_HEIGHT)


def _table(event: Event, rows: list[SheetRow], blank_rows: int, width: float) -> Table:
    """One row per person; every cell wraps its text and the row grows to fit it.

    Fixed row heights let a long organisation spill onto the neighbours'
    rows; here no height is fixed, only a least height held by the signature cells.
    """
    signatures = _signature_columns(event)
    header = [para(text, "cell") for text in columns("presence.sheet.columns")]
    header += [para(text, "cell") for text in signatures]
    data: list[list[object]] = [header]
    for number, row in enumerate(rows, start=1):
        name = row.person.last_name.upper() if row.person.last_name else t("presence.anonymous")
        data.append(
            [para(str(number), "cell"), para(name, "cell"), para(row.person.first_name, "cell"),
             para(row.organisation, "cell"), para(row.profile, "cell")]
            + [_signing_space() for _ in signatures]
        )  # fmt: skip
    for number in range(len(rows) + 1, len(rows) + blank_rows + 1):
        data.append(
            [para(str(number), "cell"), "", "", "", ""] + [_signing_space() for _ in signatures]
        )
    fixed = [1.0 * cm, 3.3 * cm, 2.8 * cm, 3.6 * cm, 3.2 * cm]
    remaining = (width - sum(fixed)) / len(signatures)
    table = Table(data, colWidths=fixed + [remaining] * len(signatures), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), fonts()[0]),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
            ]
        )
    )
    return table


def emargement_pdf(
    session: Session, event: Event, blank_rows: int = 8, person_ids: set[int] | None = None
) -> bytes:
    """The printable A4 sheet: header, one row per confirmed registration, blank rows.

    ``person_ids`` keeps only those people (the rows a coordinator filtered on screen).
    """
    assert event.id is not None
    rows = rows_for(session, event.id, confirmed_only=True)
    if person_ids is not None:
        rows = [row for row in rows if row.person.id in person_ids]
    settings = get_settings()
    buffer = io.BytesIO()
    page = A4 if len(_signature_columns(event)) == 1 else landscape(A4)
    document = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
        bottomMargin=1.8 * cm, title=t("presence.sheet.pdf_title", title=event.title),
        author=settings.organisation_name,
    )  # fmt: skip
    story: list[object] = []
    days = _days(event)
    for index, day in enumerate(days):
        if index:
            story.append(PageBreak())
        story += funders_line(document.width)
        story += [
            Spacer(1, 0.3 * cm),
            para(t("presence.sheet.heading"), "title"),
            Spacer(1, 0.2 * cm),
            para(event.title, "heading"),
            para(
                format_date(day) if len(days) > 1 else format_range(event.starts_at, event.ends_at)
            ),
            para(t("presence.sheet.place", place=place_label(event))),
            para(settings.organisation_name, "small"),
            Spacer(1, 0.4 * cm),
            _table(event, rows, blank_rows, document.width),
        ]

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(fonts()[0], 7.5)
        text = t(
            "presence.sheet.footer", code=event.code, page=doc.page,
            generated=format_datetime(utcnow()),
        )  # fmt: skip
        canvas.drawString(1.5 * cm, 1 * cm, printable(text))
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)  # type: ignore[arg-type]
    return buffer.getvalue()


def registration_table(session: Session, event: Event) -> tuple[list[str], list[list[Cell]]]:
    """Every registration of a session (waiting list and cancellations too) and its attendance."""
    assert event.id is not None
    header = columns("presence.sheet.table_columns")
    body: list[list[Cell]] = []
    for row in rows_for(session, event.id, confirmed_only=False):
        person = row.person
        body.append(
            [
                person.last_name or t("presence.anonymous"),
                person.first_name,
                person.email or "",
                person.phone or "",
                row.organisation,
                row.profile,
                person.departement_code or "",
                t(f"labels.registration_statuses.{row.registration.status.value}"),
                row.registration.source,
                local(row.registration.created_at).strftime("%d/%m/%Y %H:%M"),
                t(f"presence.statuses.{row.attendance.status.value}") if row.attendance else "",
            ]
        )
    return header, body


def write_emargement(session: Session, event: Event, out: Path, kind: str, blank_rows: int) -> None:
    if kind == "pdf":
        out.write_bytes(emargement_pdf(session, event, blank_rows))
        return
    header, body = registration_table(session, event)
    if kind == "csv":
        write_csv(out, header, body)
    else:
        write_xlsx(out, t("presence.sheet.xlsx_title"), header, body)
