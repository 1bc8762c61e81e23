"""Telegram messages caused by the core's domain events (in addition to the e-mails).

Rows are queued inside the emitting transaction (``signals.on``), so a message
exists if and only if the change committed; the after-commit subscription only
wakes the sender so the message leaves at once.
"""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from bot import buttons
from bot.calendar import invitation
from bot.models import BotConversation, BotOutboxMessage
from bot.outbox import queue_message, wake
from bot.texts import label, page, say
from relais import signals
from relais.events import services as events
from relais.events.invitation import Method
from relais.events.models import Event
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import format_range

MINE = [[(label("mine"), buttons.data("mine"))]]


def _reachable(person: Person | None) -> bool:
    return person is not None and person.telegram_id is not None and not person.telegram_blocked


def on_promoted(session: Session, promoted: signals.Promoted) -> None:
    person = session.get(Person, promoted.person_id)
    event = session.get(Event, promoted.event_id)
    registration = session.get(Registration, promoted.registration_id)
    if not _reachable(person) or event is None or registration is None:
        return
    assert person is not None
    key = f"bot:promoted:{promoted.registration_id}:{registration.confirmed_at}"
    when = format_range(event.starts_at, event.ends_at)
    queue_message(
        session,
        person_id=person.id,
        text_html=say("promoted", title=event.title, when=when),
        idempotency_key=key,
        buttons=MINE,
    )
    queue_message(
        session,
        person_id=person.id,
        text_html=say("ics_caption", title=event.title),
        idempotency_key=key + ":ics",
        document=invitation(session, registration, event),
    )


def _registrants(session: Session, event_id: int) -> list[tuple[Registration, Person]]:
    return [
        (registration, person)
        for registration, person in session.exec(
            select(Registration, Person)
            .join(Person, col(Person.id) == Registration.person_id)
            .where(
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
        if _reachable(person)
    ]


def _queue_invitation(
    session: Session, registration: Registration, event: Event, method: Method, key: str
) -> None:
    """The updated REQUEST or the CANCEL for a confirmed person, so that the entry added
    from Telegram changes too (same UID and person SEQUENCE as the e-mail's)."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return
    caption = "ics_update_caption" if method == "REQUEST" else "ics_cancel_caption"
    queue_message(
        session,
        person_id=registration.person_id,
        text_html=say(caption, title=event.title),
        idempotency_key=key + ":ics",
        document=invitation(session, registration, event, method),
    )


def on_event_changed(session: Session, changed: signals.EventChanged) -> None:
    """Only what makes the invitation out of date is worth a message: the e-mail's rule."""
    if not changed.moved:
        return
    event = session.get(Event, changed.event_id)
    if event is None:
        return
    text = page("event_changed.html", event=event, place=events.place_label(event))
    for registration, person in _registrants(session, changed.event_id):
        key = f"bot:changed:{event.id}:{event.sequence}:{person.id}"
        queue_message(session, person_id=person.id, text_html=text, idempotency_key=key)
        _queue_invitation(session, registration, event, "REQUEST", key)


def on_event_cancelled(session: Session, cancelled: signals.EventCancelled) -> None:
    event = session.get(Event, cancelled.event_id)
    if event is None:
        return
    text = say(
        "event_cancelled",
        title=event.title,
        when=format_range(event.starts_at, event.ends_at),
        reason=cancelled.reason,
    )
    for registration, person in _registrants(session, cancelled.event_id):
        key = f"bot:cancelled:{event.id}:{person.id}"
        queue_message(session, person_id=person.id, text_html=text, idempotency_key=key)
        _queue_invitation(session, registration, event, "CANCEL", key)


def on_registration_cancelled(session: Session, cancelled: signals.RegistrationCancelled) -> None:
    """A confirmed person who unregistered, on any channel, gets the CANCEL here too, so that
    an entry added from Telegram leaves their calendar like the e-mail's."""
    if not cancelled.was_confirmed:
        return
    person = session.get(Person, cancelled.person_id)
    registration = session.get(Registration, cancelled.registration_id)
    event = session.get(Event, cancelled.event_id)
    if not _reachable(person) or registration is None or event is None:
        return
    queue_message(
        session,
        person_id=cancelled.person_id,
        text_html=say("ics_cancel_caption", title=event.title),
        idempotency_key=f"bot:unregistered:{registration.id}:{registration.cancelled_at}:ics",
        document=invitation(session, registration, event, "CANCEL"),
    )


def on_person_erased(session: Session, erased: signals.PersonErased) -> None:
    """Nothing left to send to, nothing kept about the conversation."""
    person = session.get(Person, erased.person_id)
    session.exec(
        delete(BotOutboxMessage).where(col(BotOutboxMessage.person_id) == erased.person_id)  # type: ignore[call-overload]
    )
    if person is not None and person.telegram_id is not None:
        session.exec(
            delete(BotConversation).where(col(BotConversation.telegram_id) == person.telegram_id)  # type: ignore[call-overload]
        )


def _wake(_event: object) -> None:
    wake()


def subscribe() -> None:
    signals.on(signals.Promoted, on_promoted)
    signals.on(signals.EventChanged, on_event_changed)
    signals.on(signals.EventCancelled, on_event_cancelled)
    signals.on(signals.RegistrationCancelled, on_registration_cancelled)
    signals.on(signals.PersonErased, on_person_erased)
    for kind in (
        signals.Promoted, signals.EventChanged, signals.EventCancelled,
        signals.RegistrationCancelled,
    ):  # fmt: skip
        signals.after_commit(kind, _wake)
