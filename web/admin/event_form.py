"""Creating, editing, publishing, cancelling and duplicating an event from the browser.

The form's values go through :class:`relais.events.schemas.EventInput`, as
the command line's and the bot's do, so the web refuses the same things
with the same French sentences, each shown beside its field. Edits go through
:func:`relais.events.services.update`, whose domain event sends the updated
invitations.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from relais.errors import DomainError
from relais.events import services as events
from relais.events.models import Event, EventFormat, EventStatus
from relais.events.schemas import EventInput, future_problem
from relais.i18n import t, validation_reason
from relais.reference.models import Theme
from relais.roles import services as roles
from relais.roles.services import Action
from relais.timefmt import local, parse_local, utcnow
from web.admin.base import Form, Staff, page, redirect, require_event, sentence
from web.admin.pages import checked_event, networks_of

#: EventInput's field → the form's field.
FIELD_OF = {
    "title": "titre", "starts_at": "debut", "ends_at": "fin", "format": "modalite",
    "theme": "thematique", "venue": "lieu", "visio_url": "lien", "capacity": "places",
    "registration_deadline": "date_limite", "networks": "reseaux", "description": "description",
}  # fmt: skip
TEXT_FIELDS = ("titre", "debut", "fin", "modalite", "thematique", "lieu", "lien", "places",
               "date_limite", "description")  # fmt: skip


def formats() -> list[tuple[str, str]]:
    return [(f.value, t(f"labels.formats.{f.value}")) for f in EventFormat]


def _moment_text(moment: Any) -> str:
    return local(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def values_of(session: Session, event: Event) -> dict[str, Any]:
    """An event as the form shows it (French dates, the theme's name)."""
    theme = session.get(Theme, event.theme_id) if event.theme_id else None
    return {
        "titre": event.title, "debut": _moment_text(event.starts_at),
        "fin": _moment_text(event.ends_at), "modalite": event.format.value,
        "thematique": theme.name if theme else "", "lieu": event.venue, "lien": event.visio_url,
        "places": str(event.capacity or ""), "date_limite": _moment_text(event.registration_deadline),
        "description": event.description, "reseaux": [],
    }  # fmt: skip


def _input(form: Form, *, draft: bool, networks: list[str]) -> EventInput:
    values = {name: form.get(name).strip() for name in TEXT_FIELDS}
    return EventInput(
        title=values["titre"], starts_at=values["debut"] or None, ends_at=values["fin"] or None,
        format=values["modalite"] or EventFormat.PRESENTIEL.value, theme=values["thematique"] or None,
        venue=values["lieu"], visio_url=values["lien"], capacity=values["places"] or None,
        registration_deadline=values["date_limite"] or None, networks=networks,
        description=values["description"], status="draft" if draft else "published",
    )  # fmt: skip


def _errors(error: ValidationError) -> dict[str, str]:
    """Each error beside its field, naming the field as the summary at the top lists it."""
    errors: dict[str, str] = {}
    for item in error.errors():
        location = item.get("loc", ())
        reason = validation_reason(item)
        if location:
            source = str(location[0])
        else:
            deadline = reason == t("errors.deadline_after_start")
            source = "registration_deadline" if deadline else "ends_at"
        name = FIELD_OF.get(source, "titre")
        errors.setdefault(name, _named(source, reason))
    return errors


def _named(source: str, reason: str) -> str:
    return sentence(t("errors.field_error", field=t(f"fields.{source}"), reason=reason))


def _form_page(
    request: Request, session: Session, staff: Staff, values: dict[str, Any],
    errors: dict[str, str], event: Event | None = None,
) -> Response:  # fmt: skip
    themes = session.exec(select(Theme.name).where(col(Theme.active)).order_by(col(Theme.name)))
    return page(
        request, "event_form.html", 422 if errors else 200, staff=staff, values=values,
        errors=errors, event=event, formats=formats(), themes=list(themes),
        networks=networks_of(session, staff),
    )  # fmt: skip


def new_form(request: Request, session: Session, staff: Staff) -> Response:
    values: dict[str, Any] = {"modalite": EventFormat.PRESENTIEL.value, "reseaux": []}
    return _form_page(request, session, staff, values, {})


def create(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    chosen = form.getlist("reseaux")
    values: dict[str, Any] = {name: form.get(name) for name in TEXT_FIELDS}
    values["reseaux"] = chosen
    values["brouillon"] = form.get("brouillon") == "oui"
    allowed = {n.code: n.id for n in networks_of(session, staff)}
    errors: dict[str, str] = {}
    if any(code not in allowed for code in chosen) or (
        staff.grant.networks is not None and not chosen
    ):
        errors["reseaux"] = _named("networks", t("errors.admin_network_required"))
    try:
        data = _input(form, draft=values["brouillon"], networks=chosen)
    except ValidationError as error:
        return _form_page(request, session, staff, values, {**_errors(error), **errors})
    problem = future_problem(data)
    if problem:
        errors.setdefault("debut", sentence(problem))
    if errors:
        return _form_page(request, session, staff, values, errors)
    for code in chosen:
        roles.require_principal(session, staff.principal, Action.EVENT_CREATE, allowed[code])
    event = events.create(session, data, staff.actor)
    return redirect(f"/gestion/evenements/{event.id}?fait=creation")


def edit_form(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_EDIT)
    return _form_page(request, session, staff, values_of(session, event), {}, event)


def save(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_EDIT)
    assert event.id is not None
    values: dict[str, Any] = {name: form.get(name) for name in TEXT_FIELDS}
    try:
        data = _input(form, draft=event.status == EventStatus.DRAFT, networks=[])
    except ValidationError as error:
        return _form_page(request, session, staff, values, _errors(error), event)
    theme = (
        session.exec(select(Theme).where(Theme.name == data.theme)).first() if data.theme else None
    )
    changes = {
        "title": data.title, "starts_at": data.starts_at, "ends_at": data.ends_at,
        "format": data.format, "venue": data.venue, "visio_url": data.visio_url,
        "capacity": data.capacity, "registration_deadline": data.registration_deadline,
        "description": data.description, "theme_id": theme.id if theme else None,
    }  # fmt: skip
    try:
        with session.begin_nested():
            events.update(session, event.id, changes, staff.actor)
    except DomainError as error:
        return _form_page(request, session, staff, values, {"fin": sentence(error.message)}, event)
    return redirect(f"/gestion/evenements/{event.id}?fait=modification")


def publish(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_EDIT)
    assert event.id is not None
    events.publish(session, event.id, staff.actor)
    return redirect(f"/gestion/evenements/{event.id}?fait=publication")


def cancel_form(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_EDIT)
    return page(request, "event_cancel.html", staff=staff, event=event, values={}, errors={})


def cancel(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_EDIT)
    assert event.id is not None
    reason = form.get("motif")[:600]
    try:
        with session.begin_nested():
            events.cancel(session, event.id, reason, staff.actor)
    except DomainError as error:
        return page(
            request, "event_cancel.html", 422, staff=staff, event=event,
            values={"motif": reason}, errors={"motif": sentence(error.message)},
        )  # fmt: skip
    return redirect(f"/gestion/evenements/{event.id}?fait=annulation-evenement")


def duplicate_form(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_CREATE)
    return page(request, "event_duplicate.html", staff=staff, event=event, values={}, errors={})


def duplicate(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    event = checked_event(session, staff, request, Action.EVENT_CREATE)
    assert event.id is not None
    typed = form.get("debut").strip()[:40]
    error = None
    try:
        start = parse_local(typed)
    except ValueError:
        error = t("errors.bad_datetime", value=typed)
    else:
        if start <= utcnow():
            error = t("errors.admin_date_past", value=typed)
    if error:
        return page(
            request, "event_duplicate.html", 422, staff=staff, event=event,
            values={"debut": typed}, errors={"debut": sentence(error)},
        )  # fmt: skip
    copy = events.duplicate(session, event.id, start, staff.actor)
    require_event(session, staff, Action.EVENT_CREATE, copy.id or 0)
    return redirect(f"/gestion/evenements/{copy.id}?fait=duplication")
