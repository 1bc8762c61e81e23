"""Acting on an event's registrations: promote, cancel, add by hand, export the filtered rows."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers
from relais.errors import DomainError, NotFound
from relais.events.models import Event
from relais.i18n import t
from relais.registrations import export as exports
from relais.registrations import letters, manual, table
from relais.registrations import services as registrations
from relais.registrations.models import Registration
from relais.roles.services import Action
from relais.settings import get_settings
from relais.templating import render_text
from web import choices, forms
from web.admin.base import Form, Staff, page, redirect, sentence
from web.admin.pages import checked_event, query_string, table_filters

KINDS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}  # fmt: skip


def _registration(session: Session, raw: str, event_id: int) -> Registration:
    """The registration a button names, which must belong to the event of the URL."""
    number = identifiers.parse(raw)
    found = session.get(Registration, number) if number is not None else None
    if found is None or found.event_id != event_id or found.id is None:
        raise NotFound("registration_not_found")
    return found


def act(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """A button of the table: « Donner une place » (promote) or « Annuler » (cancel)."""
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    if form.get("ecrire"):
        return _letter_page(request, session, staff, event, form, {}, None)
    if form.get("promouvoir"):
        found = _registration(session, form.get("promouvoir"), event.id)
        registrations.promote(session, found.id or 0, staff.actor)
        done = "promotion"
    else:
        found = _registration(session, form.get("annuler"), event.id)
        registrations.cancel(session, found.id or 0, staff.actor)
        done = "annulation"
    kept = form.get("retour")[:500]
    separator = "&" if kept else ""
    return redirect(f"/gestion/evenements/{event.id}?{kept}{separator}fait={done}")


def export(request: Request, session: Session, staff: Staff) -> Response:
    """The rows of the table as filtered on screen, as XLSX, CSV or the PDF émargement."""
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise NotFound("not_found")
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    filters, _chosen = table_filters(request, staff.grant.networks)
    found = table.rows(session, event.id, filters)
    name, content = exports.export(session, event, kind, staff.actor, found)
    return Response(
        content,
        media_type=KINDS[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def add_form(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    return _add_page(request, session, staff, event.id or 0, {}, {})


def _add_page(
    request: Request,
    session: Session,
    staff: Staff,
    event_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    return page(
        request, "add_registration.html", status_code, staff=staff, event=event, values=values,
        errors=errors, **choices.form_choices(session),
    )  # fmt: skip


def add(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """Someone on the phone: checked like the public form, then the core's registration."""
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    fields = {name: form.get(name) for name in forms.FIELDS}
    checked = forms.check_profile(session, fields, consent=False)
    if checked.profile is None:
        return _add_page(request, session, staff, event.id, checked.values, checked.errors, 422)
    try:
        with session.begin_nested():
            outcome = manual.add(session, event.id, checked.profile, staff.actor)
    except DomainError as error:
        errors = {"email": sentence(error.message)}
        return _add_page(request, session, staff, event.id, checked.values, errors, 422)
    done = "ajout" if outcome.confirmed else "ajout-attente"
    return redirect(f"/gestion/evenements/{event.id}?{query_string({}, fait=done)}")


def _chosen(form: Form) -> list[int]:
    return [n for n in (identifiers.parse(raw) for raw in form.getlist("choix")) if n is not None]


def _letter_page(
    request: Request, session: Session, staff: Staff, event: Event, form: Form,
    errors: dict[str, str], preview: str | None, status_code: int = 200,
) -> Response:  # fmt: skip
    """The letter form with the people it goes to (and, once asked, the preview)."""
    assert event.id is not None
    chosen = _chosen(form)
    people = letters.recipients(session, event.id, chosen)
    if not people and not errors:
        errors = {"choix": sentence(t("errors.letter_nobody"))}
        status_code = 422
    return page(
        request, "write.html", status_code, staff=staff, event=event, people=people,
        chosen=chosen, values={"objet": form.get("objet"), "message": form.get("message")},
        errors=errors, preview=preview,
    )  # fmt: skip


def write(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """« Aperçu » shows the e-mail as the first person will read it; « Envoyer » queues it."""
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    letter, problems = letters.check(form.get("objet"), form.get("message"))
    errors = {name: sentence(problem.message) for name, problem in problems.items()}
    if letter is None:
        return _letter_page(request, session, staff, event, form, errors, None, 422)
    if not form.get("envoyer"):
        people = letters.recipients(session, event.id, _chosen(form))
        preview = render_text(
            "mail/coordinator_letter.txt", person=people[0] if people else None,
            body=letter.body, event=event, organisation=get_settings().organisation_name,
        ) if people else None  # fmt: skip
        return _letter_page(request, session, staff, event, form, {}, preview)
    try:
        with session.begin_nested():
            count = letters.send(session, event.id, _chosen(form), letter, staff.actor)
    except DomainError as error:
        problem = {"choix": sentence(error.message)}
        return _letter_page(request, session, staff, event, form, problem, None, 422)
    return redirect(f"/gestion/evenements/{event.id}?envoyes={count}&fait=message")
