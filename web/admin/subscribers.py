"""« Abonnés »: search the list, add someone by hand, unsubscribe, import a CSV with its
line-by-line report, export. Same core as ``relais subscribers``; ``Action.NEWSLETTER``
checked in each request's transaction."""

from __future__ import annotations

import io
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
from relais.timefmt import local, utcnow
from web.admin.base import Form, Staff, page, redirect, run, sentence
from web.admin.newsletter import allowed
from web.admin.upload import receive

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


async def import_upload(request: Request) -> Response:
    """The CSV sent from the form: session and CSRF token checked by :func:`upload.receive`,
    then the role, then the import by chunks."""
    uploaded = await receive(request, "fichier")
    if isinstance(uploaded, Response):
        return uploaded
    filename = uploaded.filename or "abonnes.csv"
    return await run_in_threadpool(
        run, request, lambda session, staff: _import(request, session, staff, uploaded.content,
                                                     filename),
    )  # fmt: skip


def _import(
    request: Request, session: Session, staff: Staff, raw: bytes, filename: str
) -> Response:
    """In the request's reading transaction: the role, then the chunks (each its own)."""
    allowed(session, staff)
    error: InvalidInput | None = None
    if not raw.strip():
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
