"""Domain events → outbox rows, in the transaction of the change that caused them.

Idempotency keys come from the domain state (the registration and the moment
it changed), so replaying an event never queues the same e-mail twice while a
new registration after a cancellation does get its own mail.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from mailer import kinds
from mailer.delivery import FILE_REPLY, LEGACY_FILE_REPLY
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import enqueue
from relais import signals
from relais.events.models import Event, EventStatus
from relais.i18n import has, t
from relais.people import export as data_export
from relais.people.models import Person
from relais.registrations import calendar
from relais.registrations.models import Registration, RegistrationStatus


def mail_address(person: Person | None) -> str | None:
    """Where to write to this person, or None (no address, erased, or known to bounce)."""
    if person is None or not person.email or person.email_invalid or person.erased_at:
        return None
    return person.email


def _queue(
    session: Session,
    kind: str,
    registration: Registration,
    key_suffix: str,
    **payload: Any,
) -> OutboxMessage | None:
    person = session.get(Person, registration.person_id)
    address = mail_address(person)
    if address is None:
        return None
    assert registration.id is not None
    return enqueue(
        session,
        kind=kind,
        to=address,
        idempotency_key=f"{kind}:{registration.id}:{key_suffix}",
        person_id=registration.person_id,
        payload={
            "event_id": registration.event_id,
            "registration_id": registration.id,
            "round": calendar.cancellation_round(session, registration),
            **payload,
        },
    )


def _stamp(registration: Registration) -> str:
    moment = registration.cancelled_at or registration.confirmed_at or registration.queued_at
    return moment.isoformat()


def on_registered(session: Session, ev: signals.Registered) -> None:
    registration = session.get(Registration, ev.registration_id)
    if registration is not None:
        _queue(session, kinds.REGISTERED, registration, _stamp(registration))


def on_promoted(session: Session, ev: signals.Promoted) -> None:
    registration = session.get(Registration, ev.registration_id)
    if registration is not None:
        _queue(session, kinds.PROMOTED, registration, _stamp(registration))


def on_waitlisted(session: Session, ev: signals.Waitlisted) -> None:
    registration = session.get(Registration, ev.registration_id)
    if registration is not None:
        _queue(
            session, kinds.WAITLISTED, registration, registration.queued_at.isoformat(),
            position=ev.position,
        )  # fmt: skip


def on_registration_cancelled(session: Session, ev: signals.RegistrationCancelled) -> None:
    registration = session.get(Registration, ev.registration_id)
    event = session.get(Event, ev.event_id)
    if registration is None or event is None or event.status == EventStatus.CANCELLED:
        return
    _queue(
        session, kinds.REGISTRATION_CANCELLED, registration, _stamp(registration),
        was_confirmed=ev.was_confirmed,
    )  # fmt: skip


def _live_registrations(session: Session, event_id: int) -> list[Registration]:
    return list(
        session.exec(
            select(Registration).where(
                Registration.event_id == event_id,
                col(Registration.status).in_(
                    [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
                ),
            )
        )
    )


def on_event_changed(session: Session, ev: signals.EventChanged) -> None:
    """Only a change of time, place or link is worth an e-mail and a new invitation."""
    if not ev.moved:
        return
    event = session.get(Event, ev.event_id)
    if event is None:
        return
    for registration in _live_registrations(session, ev.event_id):
        earlier = _unsent_changes(session, registration)
        _queue(
            session, kinds.EVENT_CHANGED, registration, f"seq{event.sequence}",
            changes=sorted(earlier | ev.changes.keys()),
            confirmed=registration.status == RegistrationStatus.CONFIRMED,
        )  # fmt: skip


def _unsent_changes(session: Session, registration: Registration) -> set[str]:
    """Two quick edits make one e-mail: an unsent change notice is replaced, its changes kept."""
    pending = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.idempotency_key).startswith(
                f"{kinds.EVENT_CHANGED}:{registration.id}:"
            ),
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.attempts == 0,
        )
    ).all()
    changes: set[str] = set()
    for row in pending:
        changes |= set(row.payload.get("changes", []))
        session.delete(row)
    session.flush()
    return changes


def on_event_cancelled(session: Session, ev: signals.EventCancelled) -> None:
    for registration in _live_registrations(session, ev.event_id):
        _queue(
            session, kinds.EVENT_CANCELLED, registration, "event",
            confirmed=registration.status == RegistrationStatus.CONFIRMED,
        )  # fmt: skip


def on_person_erased(session: Session, ev: signals.PersonErased) -> None:
    """Nothing unsent may still carry the address; sent rows keep no address either."""
    session.exec(
        delete(OutboxMessage).where(  # type: ignore[call-overload]
            col(OutboxMessage.person_id) == ev.person_id,
            col(OutboxMessage.state).in_([OutboxState.PENDING, OutboxState.FAILED]),
        )
    )
    for row in session.exec(select(OutboxMessage).where(OutboxMessage.person_id == ev.person_id)):
        row.to_address = ""
        row.payload = {}
        session.add(row)


def export(session: Session, person_id: int) -> list[dict[str, Any]]:
    """The person's share of the RGPD export: which e-mails were sent, when, with what answer."""
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.person_id == person_id)
        .order_by(col(OutboxMessage.id))
    )
    return [
        {
            "e_mail": _kind_label(row.kind), "adresse": row.to_address or None,
            "etat": t(f"mail.export.states.{row.state.value}"),
            "cree_le": data_export.when(row.created_at),
            "envoye_le": data_export.when(row.sent_at),
            "reponse_du_serveur": _reply(row.last_reply),
        }
        for row in rows
    ]  # fmt: skip


def _kind_label(kind: str) -> str:
    key = f"mail.export.kinds.{kind}"
    return t(key) if has(key) else kind


def _reply(stored: str) -> str | None:
    """The SMTP server's answer; a message written to a file (no relay) says only that.

    Rows written before :data:`~mailer.delivery.FILE_REPLY` held the file's path on the
    server, which is nobody's business but the operator's.
    """
    if stored.startswith(LEGACY_FILE_REPLY):
        return FILE_REPLY
    return stored or None


def subscribe() -> None:
    signals.on(signals.Registered, on_registered)
    signals.on(signals.Promoted, on_promoted)
    signals.on(signals.Waitlisted, on_waitlisted)
    signals.on(signals.RegistrationCancelled, on_registration_cancelled)
    signals.on(signals.EventChanged, on_event_changed)
    signals.on(signals.EventCancelled, on_event_cancelled)
    signals.on(signals.PersonErased, on_person_erased)
    data_export.register_exporter("emails", export)
