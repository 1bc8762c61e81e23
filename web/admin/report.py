"""Importing a Zoom or Teams attendance report from the browser, with the line-by-line result.

The file goes through :mod:`relais.attendance.importer`, as ``relais attendance
import`` does. A line that cannot be read is listed with its French reason and,
unless the coordinator chose to leave such lines aside, nothing is recorded:
the other lines show what the import would do, in a savepoint rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from relais.attendance import importer
from relais.attendance import services as attendance
from relais.attendance.importer import BadLine, ImportResult, ReportLine
from relais.errors import DomainError
from relais.events.models import Event
from relais.i18n import t
from relais.roles.services import Action
from relais.settings import get_settings
from web.admin.base import Staff, page, run, sentence
from web.admin.pages import checked_event
from web.admin.upload import Upload, receive

FILE_FIELD = "rapport"


def form_page(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    return _page(request, staff, event, {}, {})


def _page(
    request: Request, staff: Staff, event: Event, values: dict[str, str],
    errors: dict[str, str], status_code: int = 200, **result: object,
) -> Response:  # fmt: skip
    limit = get_settings().web_max_body_bytes // 1024
    result.setdefault("rows", None)
    return page(
        request, "report.html", status_code, staff=staff, event=event, values=values,
        errors=errors, limit_kb=limit, **result,
    )  # fmt: skip


async def upload(request: Request) -> Response:
    """The POST: session and CSRF token checked by :func:`upload.receive`, then the work."""
    uploaded = await receive(request, FILE_FIELD)
    if isinstance(uploaded, Response):
        return uploaded
    return await run_in_threadpool(
        run, request, lambda session, staff: _import(request, session, staff, uploaded), write=True
    )


class _Refused(Exception):
    """Rolls the import's savepoint back when bad lines were not to be left aside."""


@dataclass(frozen=True)
class Row:
    """One line of the result table: its number, who, what happened (and a tag class)."""

    line: int
    name: str
    email: str
    outcome: str
    kind: str


def _import(request: Request, session: Session, staff: Staff, uploaded: Upload) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    values = {"duree": uploaded.form.get("duree")[:6], "ignorer": uploaded.form.get("ignorer"),
              "absents": uploaded.form.get("absents")}  # fmt: skip
    minimum = _minutes(values["duree"])
    if minimum is None:
        errors = {"duree": sentence(t("admin.report.bad_minimum", value=values["duree"]))}
        return _page(request, staff, event, values, errors, 422)
    if not uploaded.content:
        return _page(request, staff, event, values, {"rapport": t("admin.report.no_file")}, 422)
    filename = (uploaded.filename or "rapport")[:120]
    bad: list[BadLine] = []
    try:
        lines = importer.parse_report(uploaded.content, filename, bad)
    except DomainError as error:
        return _page(request, staff, event, values, {"rapport": sentence(error.message)}, 422)
    before = {line.person.id for line in attendance.roster(session, event.id)}
    keep = not bad or values["ignorer"] == "oui"
    try:
        with session.begin_nested():
            result = importer.apply(
                session, event, lines, actor=staff.actor, min_minutes=minimum,
                mark_absent=values["absents"] == "oui",
            )  # fmt: skip
            if not keep:
                raise _Refused
    except _Refused:
        pass
    rows = _rows(lines, bad, result, before)
    return _page(
        request, staff, event, values, {}, 200 if keep else 422, rows=rows, saved=keep,
        result=result, bad=bad, filename=filename,
    )  # fmt: skip


def _minutes(typed: str) -> float | None:
    text = typed.strip().replace(",", ".")
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 24 * 60 else None


def _rows(
    lines: list[ReportLine], bad: list[BadLine], result: ImportResult, before: set[int | None]
) -> list[Row]:
    """Every line of the file in order, with what the import did (or would do) with it."""
    short = {result.persons.get(line.line) for line in result.too_short}
    ambiguous = {line.line for line in result.ambiguous}
    rows = [Row(b.line, b.text, "", t("admin.report.bad", reason=b.reason), "off") for b in bad]
    for line in lines:
        person = result.persons.get(line.line)
        if line.line in ambiguous:
            rows.append(_row(line, t("admin.report.ambiguous"), "wait"))
        elif person is None:
            rows.append(_row(line, t("admin.report.unknown"), "off"))
        elif person in short:
            rows.append(
                _row(line, t("admin.report.too_short", minutes=round(line.minutes)), "wait")
            )
        elif person in before:
            already = not result.marked.get(person, True)
            rows.append(_row(line, t("admin.report.matched", already=already), ""))
        else:
            rows.append(_row(line, t("admin.report.added"), ""))
    return sorted(rows, key=lambda row: row.line)


def _row(line: ReportLine, outcome: str, kind: str) -> Row:
    return Row(line.line, line.name, line.email, outcome, kind)
