"""« Abonnés »: search the list, add someone by hand, unsubscribe, import a CSV with its
line-by-line report, export. Same core as ``relais subscribers``; ``Action.NEWSLETTER``
checked in each request's transaction."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers
from relais.errors import InvalidInput
from relais.i18n import t
from relais.newsletter import directory, export, services
from relais.newsletter.models import SubscriberStatus
from relais.settings import get_settings
from relais.timefmt import local, utcnow
from web import guard
from web.admin.base import Form, Staff, notice, page, redirect, run, sentence
from web.admin.newsletter import allowed

HOME = "/gestion/abonnes"
STATUSES = {status.value: status for status in SubscriberStatus}
ADD_FIELDS = ("email", "prenom", "nom", "structure", "source")


def _chosen(request: Request) -> dict[str, str]:
    status = request.query_params.get("statut", "")
    return {"q": request.query_params.get("q", "")[:100],
            "statut": status if status in STATUSES else ""}  # fmt: skip


def _list_page(
    request: Request, session: Session, staff: Staff, values: dict[str, str],
    errors: dict[str, str], status_code: int = 200,
) -> Response:  # fmt: skip
    chosen = _chosen(request)
    found = directory.search(session, chosen["q"], STATUSES.get(chosen["statut"]))
    return page(
        request, "subscribers.html", status_code, staff=staff, rows=found, chosen=chosen,
        counts=services.counts(session), shown=directory.SHOWN, values=values, errors=errors,
        statuses={s.value: t(f"newsletter.statuses.{s.value}") for s in SubscriberStatus},
        export_query=urlencode({k: v for k, v in chosen.items() if k == "statut" and v}),
        done=request.query_params.get("fait", ""), email=request.query_params.get("adresse", "")[:254],
    )  # fmt: skip


def list_page(request: Request, session: Session, staff: Staff) -> Response:
    allowed(session, staff)
    return _list_page(request, session, staff, {}, {})


def add(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    allowed(session, staff)
    values = {name: form.get(name)[:300] for name in ADD_FIELDS}
    new, problems = directory.check(values)
    if new is None:
        errors = {name: sentence(problem.message) for name, problem in problems.items()}
        return _list_page(request, session, staff, values, errors, 422)
    directory.add(session, new, staff.actor)
    return redirect(f"{HOME}?{urlencode({'fait': 'ajout', 'adresse': new.email})}")


def unsubscribe(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    allowed(session, staff)
    number = identifiers.parse(form.get("abonne"))
    subscriber = directory.unsubscribe(session, number or 0, staff.actor)
    query = urlencode({"fait": "desabonnement", "adresse": subscriber.email})
    return redirect(f"{HOME}?{query}")


def export_csv(request: Request, session: Session, staff: Staff) -> Response:
    """Every subscriber (or those of one status) as CSV, safe to open in a spreadsheet."""
    allowed(session, staff)
    status = STATUSES.get(request.query_params.get("statut", ""))
    out = io.StringIO()
    export.write_csv(session, out, status)
    name = f"abonnes-{local(utcnow()).strftime('%Y-%m-%d')}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip


def import_form(request: Request, session: Session, staff: Staff) -> Response:
    allowed(session, staff)
    return page(request, "subscribers_import.html", staff=staff, errors={}, result=None)


async def _body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None when it is larger than ``limit``."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


def _parts(content_type: str, body: bytes) -> dict[str, EmailMessage]:
    """A ``multipart/form-data`` body, by field name (the standard library's MIME parser)."""
    head = f"Content-Type: {content_type[:300]}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return {}
    found: dict[str, EmailMessage] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and isinstance(part, EmailMessage):
            found.setdefault(name, part)
    return found


def _payload(parts: dict[str, EmailMessage], name: str) -> bytes:
    part = parts.get(name)
    data = part.get_payload(decode=True) if part is not None else None
    return data if isinstance(data, bytes) else b""


async def import_upload(request: Request) -> Response:
    """The CSV sent from the form: CSRF first, then the role, then the import by chunks."""
    limit = get_settings().web_max_upload_bytes
    body = await _body(request, limit)
    parts = _parts(request.headers.get("content-type", ""), body or b"")
    token = _payload(parts, guard.FIELD).decode("ascii", errors="replace")
    if body is not None and not guard.csrf_valid(request, token):
        return notice(request, "csrf", 403)
    file_part = parts.get("fichier")
    filename = (file_part.get_filename() if file_part is not None else None) or "abonnes.csv"
    raw = _payload(parts, "fichier")
    return await run_in_threadpool(
        run, request, lambda session, staff: _import(request, session, staff, raw, filename,
                                                     too_big=body is None),
    )  # fmt: skip


def _import(
    request: Request, session: Session, staff: Staff, raw: bytes, filename: str, *,
    too_big: bool,
) -> Response:  # fmt: skip
    """In the request's reading transaction: the role, then the chunks (each its own)."""
    allowed(session, staff)
    error: InvalidInput | None = None
    if too_big:
        error = InvalidInput(
            "newsletter_web_file_too_big", limit=get_settings().web_max_upload_bytes // 1_000_000
        )
    elif not raw.strip():
        error = InvalidInput("newsletter_web_no_file")
    if error is None:
        try:
            result = directory.import_file(raw, filename[:255], staff.actor)
        except InvalidInput as problem:
            error = problem
    if error is not None:
        return page(request, "subscribers_import.html", 422, staff=staff,
                    errors={"fichier": sentence(error.message)}, result=None)  # fmt: skip
    lines = sorted([*result.report.lines, *result.report.notes], key=lambda line: line.number)
    shown = [line for line in lines if line.outcome != "imported" or line.reason]
    return page(
        request, "subscribers_import.html", staff=staff, errors={}, result=result,
        lines=shown, filename=filename, outcomes={o: t(f"newsletter.import.outcomes.{o}")
                                                  for o in result.counts},
    )  # fmt: skip
