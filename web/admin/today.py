"""« Le jour J »: the expected people of an event, one tap each for present or absent,
walk-ins added on the spot, and the QR poster to print. Big buttons, a search, no
JavaScript: it works on a tablet at the door as on a laptop."""

from __future__ import annotations

import unicodedata

import segno
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers
from relais.access.links import CHECKIN_PREFIX, checkin_link
from relais.attendance import services as attendance
from relais.attendance.models import AttendanceMethod, AttendanceStatus
from relais.errors import DomainError, InvalidInput, NotFound
from relais.events.models import Event
from relais.events.services import place_label
from relais.exports.qr import poster_pdf
from relais.i18n import t
from relais.people import services as people
from relais.reference.models import Profile
from relais.roles.services import Action
from relais.settings import get_settings
from web import choices
from web.admin.base import Form, Staff, page, redirect, sentence
from web.admin.pages import checked_event

STATUSES = {"present": AttendanceStatus.PRESENT, "absent": AttendanceStatus.ABSENT}
#: The walk-in form's fields → what sentences call them.
ARRIVAL_FIELDS = {"nom": "nom", "prenom": "prénom", "email": "e-mail", "structure": "structure",
                  "profil": "profil professionnel"}  # fmt: skip


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def roster_page(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    return _roster(request, session, staff, event, request.query_params.get("q", ""), {}, {})


def _roster(
    request: Request, session: Session, staff: Staff, event: Event, typed: str,
    values: dict[str, str], errors: dict[str, str],
) -> Response:  # fmt: skip
    """The list (searched), the walk-in form (with its errors), the counts."""
    assert event.id is not None
    typed = typed[:100]
    words = _plain(typed).split()
    everyone = attendance.roster(session, event.id)
    lines = [
        line for line in everyone
        if all(w in _plain(f"{line.person.last_name} {line.person.first_name}") for w in words)
    ]  # fmt: skip
    present = sum(1 for line in everyone if line.status == AttendanceStatus.PRESENT)
    return page(
        request, "today.html", 422 if errors else 200, staff=staff, event=event, lines=lines,
        q=typed, present=present, expected=len(everyone), values=values, errors=errors,
        done=request.query_params.get("fait", "")[:20],
        profile_options=choices.form_choices(session)["profile_options"],
    )  # fmt: skip


def mark(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """One tap: only a person with a confirmed registration to this event can be marked
    (a forged id cannot register a stranger as a walk-in)."""
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    chosen = next((name for name in STATUSES if form.get(name)), "")
    person_id = identifiers.parse(form.get(chosen)) if chosen else None
    expected = {line.person.id for line in attendance.roster(session, event.id)}
    if person_id is None or person_id not in expected:
        raise NotFound("registration_not_found")
    attendance.mark(
        session, event.id, [person_id], STATUSES[chosen], staff.actor, AttendanceMethod.COORDINATOR
    )
    kept = form.get("q")[:100]
    query = f"q={kept}&" if kept else ""
    return redirect(f"/gestion/evenements/{event.id}/jour-j?{query}fait={chosen}#p{person_id}")


def poster(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    return Response(
        poster_pdf(event),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="affiche-{event.code}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _arrival(
    session: Session, form: Form
) -> tuple[dict[str, str], dict[str, str], attendance.Arrival | None]:
    """The walk-in form checked field by field with the core's cleaners: (values, errors, arrival)."""
    values = {name: form.get(name)[:400] for name in ARRIVAL_FIELDS}
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, label in ARRIVAL_FIELDS.items():
        try:
            cleaned[name] = _clean(session, name, label, values[name])
        except InvalidInput as error:
            errors[name] = sentence(error.message)
    if errors:
        return values, errors, None
    arrival = attendance.Arrival(
        first_name=cleaned["prenom"], last_name=cleaned["nom"], organisation=cleaned["structure"],
        profile_id=int(cleaned["profil"]), email=cleaned["email"] or None,
    )  # fmt: skip
    return values, {}, arrival


def _clean(session: Session, name: str, label: str, value: str) -> str:
    if name == "email":
        return people.normalize_email(value) if value.strip() else ""
    if name == "profil":
        number = identifiers.parse(value)
        if number is None or session.get(Profile, number) is None:
            raise InvalidInput("web_choose", field=label)
        return str(number)
    limit = 200 if name == "structure" else 100
    return people.clean_name(value, label, limit)


def walk_in(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """Someone at the door who never registered: registered on the spot and present."""
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    values, errors, arrival = _arrival(session, form)
    if arrival is None:
        return _roster(request, session, staff, event, "", values, errors)
    try:
        with session.begin_nested():
            done = attendance.walk_in(session, event.id, arrival, staff.actor)
    except DomainError as error:
        return _roster(request, session, staff, event, "", values, {"nom": sentence(error.message)})
    outcome = "deja-present" if done.already_present else "sur-place"
    return redirect(f"/gestion/evenements/{event.id}/jour-j?fait={outcome}#p{done.person.id}")


def poster_page(request: Request, session: Session, staff: Staff) -> Response:
    """The check-in poster as a page to print from the browser (the PDF is the same poster)."""
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    settings = get_settings()
    code = segno.make(checkin_link(event), error="m", micro=False)
    return page(
        request, "poster.html", staff=staff, event=event, place=place_label(event),
        qr=code.svg_data_uri(scale=10, border=2, title=t("presence.poster.svg_title", title=event.title)),
        bot=settings.telegram_bot_username, instructions=t("presence.poster.instructions"),
        fallback=t("presence.poster.fallback", bot=settings.telegram_bot_username,
                   payload=CHECKIN_PREFIX + event.code),
    )  # fmt: skip
