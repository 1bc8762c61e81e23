"""The e-mails Relais sends about registrations and events, rendered at send time.

Each kind reads the event and the person as they are when the row is sent,
so an invitation queued before a change goes out already up to date.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlmodel import Session, col, select

from mailer import compose
from mailer.models import EventResource, OutboxMessage
from mailer.outbox import register_renderer
from relais.access import links
from relais.access.services import manage_url
from relais.events import invitation
from relais.events.invitation import Method, invitation_ics
from relais.events.models import Event
from relais.events.services import place_label
from relais.i18n import t
from relais.people.models import Person
from relais.timefmt import format_range

REGISTERED = "registered"
WAITLISTED = "waitlisted"
PROMOTED = "promoted"
REGISTRATION_CANCELLED = "registration_cancelled"
EVENT_CHANGED = "event_changed"
EVENT_CANCELLED = "event_cancelled"
REMINDER = "reminder"
THANKS = "thanks"

#: Order in which changed fields are named in the "event changed" e-mail.
CHANGE_ORDER = ("starts_at", "ends_at", "format", "venue", "visio_url")


class Unrenderable(Exception):
    """The row refers to something that no longer exists (erased person, deleted event)."""


def _load(session: Session, row: OutboxMessage) -> tuple[Event, Person]:
    event = session.get(Event, row.payload.get("event_id"))
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    if event is None or person is None or person.erased_at is not None:
        raise Unrenderable(f"{row.kind} #{row.id}: event or person gone")
    return event, person


def _context(event: Event, person: Person, *, with_link: bool, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "person": person,
        "when": format_range(event.starts_at, event.ends_at),
        "place": place_label(event) if not event.venue else event.venue,
        "link": event.visio_url if with_link else "",
        "manage_link": manage_url(person),
        "event_link": links.register_link(event),
        **extra,
    }


def person_sequence(event: Event, row: OutboxMessage, method: Method) -> int:
    """The core's person SEQUENCE, with the cancellation round counted when the row was queued."""
    return invitation.person_sequence(event, int(row.payload.get("round", 0)), method)


def _build(
    row: OutboxMessage,
    template: str,
    context: dict[str, Any],
    *,
    method: Method | None = None,
) -> EmailMessage:
    event: Event = context["event"]
    text, html = compose.render_parts(template, **context)
    calendar = None
    if method is not None:
        calendar = invitation_ics(
            event, context["person"], method=method, sequence=person_sequence(event, row, method)
        )
    return compose.message(
        subject=row.subject or compose.subject(template, **context),
        text=text,
        html=html,
        calendar=calendar,
        method=method or "REQUEST",
    )


def render_registered(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    return _build(row, REGISTERED, _context(event, person, with_link=True), method="REQUEST")


def render_promoted(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    return _build(row, PROMOTED, _context(event, person, with_link=True), method="REQUEST")


def render_waitlisted(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    context = _context(event, person, with_link=False, position=row.payload.get("position", 1))
    return _build(row, WAITLISTED, context)


def render_registration_cancelled(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    was_confirmed = bool(row.payload.get("was_confirmed"))
    context = _context(event, person, with_link=False, was_confirmed=was_confirmed)
    return _build(row, REGISTRATION_CANCELLED, context, method="CANCEL" if was_confirmed else None)


def changed_words(fields: list[str]) -> list[str]:
    """The changed fields in French, once each (a start and end move is one change)."""
    named = [name for name in CHANGE_ORDER if name in fields]
    if "starts_at" in named and "ends_at" in named:
        named.remove("ends_at")
    return [t(f"mail.changes.{name}") for name in named]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]


def render_event_changed(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    confirmed = bool(row.payload.get("confirmed"))
    words = changed_words(list(row.payload.get("changes", []))) or [t("mail.changes.starts_at")]
    context = _context(
        event, person, with_link=confirmed, changed=_join(words), changed_count=len(words),
        invitation=confirmed,
    )  # fmt: skip
    return _build(row, EVENT_CHANGED, context, method="REQUEST" if confirmed else None)


def render_event_cancelled(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    confirmed = bool(row.payload.get("confirmed"))
    context = _context(
        event, person, with_link=False, reason=event.cancel_reason, invitation=confirmed
    )
    return _build(row, EVENT_CANCELLED, context, method="CANCEL" if confirmed else None)


def render_reminder(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    context = _context(
        event, person, with_link=True, when_relative=str(row.payload.get("when_relative", ""))
    )
    return _build(row, REMINDER, context)


def resources(session: Session, event_id: int) -> list[EventResource]:
    return list(
        session.exec(
            select(EventResource)
            .where(EventResource.event_id == event_id)
            .order_by(col(EventResource.id))
        )
    )


def render_thanks(session: Session, row: OutboxMessage) -> EmailMessage:
    event, person = _load(session, row)
    assert event.id is not None
    context = _context(
        event, person, with_link=False, survey_link=str(row.payload.get("survey_link", "")),
        resources=resources(session, event.id),
    )  # fmt: skip
    return _build(row, THANKS, context)


def register_all() -> None:
    for kind, renderer in (
        (REGISTERED, render_registered),
        (WAITLISTED, render_waitlisted),
        (PROMOTED, render_promoted),
        (REGISTRATION_CANCELLED, render_registration_cancelled),
        (EVENT_CHANGED, render_event_changed),
        (EVENT_CANCELLED, render_event_cancelled),
        (REMINDER, render_reminder),
        (THANKS, render_thanks),
    ):
        register_renderer(kind, renderer)
