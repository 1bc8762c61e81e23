"""« Mes inscriptions »: a person's registrations, reached by a signed link sent by e-mail.

No password and no account: typing an address sends the link to that
address (if Relais knows it; the page says the same either way). The link
names the person and the purpose, expires, and dies with a change of
address or an erasure. Every action is a GET that shows a button and a POST
that acts, since mail scanners follow links.
"""

from __future__ import annotations

import contextlib

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from relais import identifiers
from relais.access import services as access
from relais.access import tokens
from relais.db import read_scope, session_scope
from relais.errors import DomainError
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.people import erasure
from relais.people import export as data_export
from relais.people import services as people
from relais.people.models import Person
from relais.registrations import calendar
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from web import agenda, choices, forms, guard
from web.pages import form_data
from web.render import ics_response, notice, page


def request_form(request: Request) -> Response:
    return page(request, "manage_request.html", values={}, errors={})


async def request_link(request: Request) -> Response:
    form = await form_data(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD, "")):
        return notice(request, "csrf", 403)
    email, error = forms.check_email(form)
    if error:
        return page(
            request, "manage_request.html", 422, values={"email": email}, errors={"email": error}
        )
    if not await run_in_threadpool(guard.allowed, request, email):
        return notice(request, "too_many", 429)
    if not guard.is_bot(form):
        await run_in_threadpool(_send_link, email)
    return page(request, "link_sent.html", email=email)


def _send_link(email: str) -> None:
    with session_scope() as session:
        access.request_manage_link(session, email)


def _person(request: Request, session: Session) -> Person | Response:
    try:
        person = access.person_from(session, "manage", request.path_params["token"])
    except tokens.Expired:
        return notice(request, "expired", 410)
    return person if person is not None else notice(request, "invalid_link", 404)


def _base(request: Request) -> str:
    return f"/mes-inscriptions/{request.path_params['token']}"


def overview(request: Request) -> Response:
    with read_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        assert person.id is not None
        rows = registrations.for_person(session, person.id)
        cards = {c.event.id: c for c in agenda.cards(session, [event for _r, event in rows])}
        items = [
            {
                "registration": registration,
                "card": cards[event.id],
                "position": registrations.position(session, registration)
                if registration.status == RegistrationStatus.WAITLISTED
                else None,
            }
            for registration, event in rows
        ]
        return page(
            request, "manage.html", person=person, items=items, base=_base(request),
            done=request.query_params.get("fait", ""),
            profile=data_export.profile_view(session, person),
        )  # fmt: skip


def _own(session: Session, person: Person, request: Request) -> Registration | None:
    raw = request.path_params["registration"]
    number = identifiers.parse(raw)
    registration = session.get(Registration, number) if number is not None else None
    if registration is None or registration.person_id != person.id:
        return None
    return registration


def cancel_form(request: Request) -> Response:
    with read_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        registration = _own(session, person, request)
        if registration is None or registration.status == RegistrationStatus.CANCELLED:
            return notice(request, "not_found", 404)
        card = agenda.cards(session, [_event_of(session, registration)])[0]
        return page(
            request, "cancel.html", card=card, registration=registration,
            base=_base(request), action=request.url.path,
        )  # fmt: skip


def _event_of(session: Session, registration: Registration) -> Event:
    return events.get(session, registration.event_id)


async def cancel(request: Request) -> Response:
    form = await form_data(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD, "")):
        return notice(request, "csrf", 403)
    return await run_in_threadpool(_cancel_sync, request)


def _cancel_sync(request: Request) -> Response:
    with session_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        registration = _own(session, person, request)
        if registration is None or registration.id is None:
            return notice(request, "not_found", 404)
        # already cancelled (a second click): the list shows it is done
        with contextlib.suppress(DomainError):
            registrations.cancel(session, registration.id, f"person:{person.id}")
    return RedirectResponse(f"{_base(request)}?fait=annulation", status_code=303)


def invitation(request: Request) -> Response:
    """The person's own REQUEST, the very entry of their confirmation e-mail (same UID,
    ORGANIZER, ATTENDEE and SEQUENCE): downloading it again updates that entry rather
    than adding an anonymous copy. None for a cancelled event (its CANCEL was sent)."""
    with read_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        registration = _own(session, person, request)
        if registration is None or registration.status != RegistrationStatus.CONFIRMED:
            return notice(request, "not_found", 404)
        event = _event_of(session, registration)
        if event.status == EventStatus.CANCELLED:
            return notice(request, "not_found", 404)
        return ics_response(event.code, calendar.invitation(session, registration))


def export(request: Request) -> Response:
    """The file the core builds (RGPD right of access), handed over as a download."""
    with read_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        assert person.id is not None
        body = data_export.export_json(session, person.id)
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{data_export.FILENAME}"',
            "Cache-Control": "no-store",
        },
    )


def _profile_values(session: Session, person: Person) -> dict[str, str]:
    return {
        "nom": person.last_name,
        "prenom": person.first_name,
        "email": person.email or "",
        "structure": data_export.profile_view(session, person).structure or "",
        "type_structure": str(person.structure_type_id or ""),
        "profil": str(person.profile_id or ""),
        "departement": person.departement_code or "",
        "telephone": person.phone or "",
    }


def _profile_page(
    request: Request, session: Session, values: dict[str, str], errors: dict[str, str]
) -> Response:
    return page(
        request, "profile.html", 422 if errors else 200, values=values, errors=errors,
        base=_base(request), action=request.url.path,
        **choices.form_choices(session),
    )  # fmt: skip


def profile_form(request: Request) -> Response:
    with read_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        return _profile_page(request, session, _profile_values(session, person), {})


async def profile_save(request: Request) -> Response:
    form = await form_data(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD, "")):
        return notice(request, "csrf", 403)
    return await run_in_threadpool(_profile_save_sync, request, form)


def _profile_save_sync(request: Request, form: dict[str, str]) -> Response:
    with session_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        form = {**form, "email": person.email or ""}  # the address is what the link proves
        checked = forms.check_profile(session, form, consent=False)
        if checked.profile is None:
            return _profile_page(request, session, checked.values, checked.errors)
        profile = checked.profile
        people.save_profile(
            session, email=profile.email, first_name=profile.first_name,
            last_name=profile.last_name, organisation=profile.organisation,
            profile_id=profile.profile_id, structure_type_id=profile.structure_type_id,
            departement_code=profile.departement_code,
            phone=profile.phone, actor=f"person:{person.id}",
        )  # fmt: skip
        if profile.phone is None:
            person.phone = None
            session.add(person)
    return RedirectResponse(f"{_base(request)}?fait=profil", status_code=303)


def erase_form(request: Request) -> Response:
    with read_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        return page(request, "erase.html", base=_base(request), action=request.url.path)


async def erase(request: Request) -> Response:
    form = await form_data(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD, "")):
        return notice(request, "csrf", 403)
    return await run_in_threadpool(_erase_sync, request)


def _erase_sync(request: Request) -> Response:
    with session_scope() as session:
        person = _person(request, session)
        if isinstance(person, Response):
            return person
        assert person.id is not None
        erasure.erase(session, person.id, f"person:{person.id}")
    return notice(request, "erased")
