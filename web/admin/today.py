"""« Le jour J »: the expected people of an event, one tap each for present or absent,
and the QR poster to print. Big buttons, a search, no JavaScript: it works on a tablet
at the door as on a laptop."""

from __future__ import annotations

import unicodedata

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers
from relais.attendance import services as attendance
from relais.attendance.models import AttendanceMethod, AttendanceStatus
from relais.errors import NotFound
from relais.exports.qr import poster_pdf
from relais.roles.services import Action
from web.admin.base import Form, Staff, page, redirect
from web.admin.pages import checked_event

STATUSES = {"present": AttendanceStatus.PRESENT, "absent": AttendanceStatus.ABSENT}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def roster_page(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    typed = request.query_params.get("q", "")[:100]
    words = _plain(typed).split()
    everyone = attendance.roster(session, event.id)
    lines = [
        line for line in everyone
        if all(w in _plain(f"{line.person.last_name} {line.person.first_name}") for w in words)
    ]  # fmt: skip
    present = sum(1 for line in everyone if line.status == AttendanceStatus.PRESENT)
    return page(
        request, "today.html", staff=staff, event=event, lines=lines, q=typed, present=present,
        expected=len(everyone),
        done=request.query_params.get("fait", ""),
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
