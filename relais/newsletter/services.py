"""Subscribing, confirming, unsubscribing: the life of a subscription.

Nobody becomes ``active`` without a recorded consent (source, channel,
date); once ``unsubscribed`` or ``bounced`` nobody is mailed again until they
subscribe anew and confirm.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from relais import audit, signals
from relais.errors import InvalidInput
from relais.i18n import t
from relais.newsletter import tokens
from relais.newsletter.models import ConfirmationRequest, Subscriber, SubscriberStatus
from relais.people import export as data_export
from relais.people import services as people
from relais.people.models import Consent, ConsentPurpose, Person
from relais.reference.models import StructureType
from relais.settings import get_settings
from relais.timefmt import utcnow

CONFIRM_VALIDITY = timedelta(hours=48)
MAX_CODE_ATTEMPTS = 5
#: The caps on confirmation e-mails count the requests of the last 24 hours.
REQUEST_WINDOW = timedelta(days=1)
BATCH = 500


@dataclass(frozen=True)
class SubscriptionRequested(signals.DomainEvent):
    """Someone asked to subscribe this address: its confirmation e-mail (link and code),
    or, when the address is already subscribed, an e-mail saying so (``already``)."""

    subscriber_id: int
    request_id: int = 0
    already: bool = False


@dataclass(frozen=True)
class SubscriptionEnded(signals.DomainEvent):
    """Unsubscribed or bounced: whatever is still queued for this address must not go."""

    subscriber_id: int
    email: str


def by_email(session: Session, email: str) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.email == email.strip().lower())).first()


def by_person(session: Session, person_id: int) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.person_id == person_id)).first()


def _person_id(session: Session, email: str) -> int | None:
    person = people.by_email(session, email)
    return person.id if person is not None else None


def _touch(subscriber: Subscriber) -> None:
    subscriber.updated_at = utcnow()


def request(
    session: Session,
    *,
    email: str,
    channel: str,
    source: str,
    person_id: int | None = None,
    telegram_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    organisation: str = "",
    structure_type_id: int | None = None,
) -> Subscriber:
    """Start a double opt-in: the subscription stays ``pending`` until confirmed.

    Whoever asks gets the same answer whether or not the address is on the
    list (nobody can probe who is): an active address is left as it is and
    gets an e-mail saying so. Each request counts against the daily caps per
    address and per Telegram account; asking again resends the same code and
    keeps the count of wrong codes.
    """
    address = people.normalize_email(email)
    request_id = _count_request(session, address, telegram_id)
    subscriber = by_email(session, address)
    if subscriber is None:
        subscriber = Subscriber(email=address)
    elif subscriber.status == SubscriberStatus.ACTIVE:
        assert subscriber.id is not None
        event = SubscriptionRequested(subscriber.id, request_id=request_id, already=True)
        signals.emit(session, event)
        return subscriber
    elif _code_still_valid(subscriber):
        assert subscriber.id is not None
        signals.emit(session, SubscriptionRequested(subscriber.id, request_id=request_id))
        return subscriber
    subscriber.first_name = first_name or subscriber.first_name
    subscriber.last_name = last_name or subscriber.last_name
    subscriber.organisation = organisation or subscriber.organisation
    subscriber.structure_type_id = structure_type_id or subscriber.structure_type_id
    subscriber.person_id = person_id or subscriber.person_id or _person_id(session, address)
    subscriber.telegram_id = telegram_id or subscriber.telegram_id
    subscriber.status = SubscriberStatus.PENDING
    subscriber.consent_channel = channel
    subscriber.consent_source = source
    subscriber.confirm_code = f"{secrets.randbelow(10**6):06d}"
    subscriber.confirm_sent_at = utcnow()
    subscriber.confirm_attempts = 0
    _touch(subscriber)
    session.add(subscriber)
    session.flush()
    assert subscriber.id is not None
    audit.record(session, channel, "newsletter.requested", "newsletter_subscriber", subscriber.id)
    signals.emit(session, SubscriptionRequested(subscriber.id, request_id=request_id))
    return subscriber


def _code_still_valid(subscriber: Subscriber) -> bool:
    """A pending code still usable: asking again resends it rather than resetting the tries."""
    sent = subscriber.confirm_sent_at
    return (
        subscriber.status == SubscriberStatus.PENDING
        and subscriber.confirm_code is not None
        and sent is not None
        and utcnow() - sent <= CONFIRM_VALIDITY
    )


def _count_request(session: Session, address: str, telegram_id: int | None) -> int:
    """Record one confirmation e-mail asked for; refuse past the daily caps.

    The same answer for every address: the cap is counted on requests, not on
    subscriptions, so reaching it says nothing about who is on the list.
    """
    settings = get_settings()
    since = utcnow() - REQUEST_WINDOW
    session.exec(
        delete(ConfirmationRequest).where(  # type: ignore[call-overload]
            col(ConfirmationRequest.created_at) < utcnow() - 2 * REQUEST_WINDOW
        )
    )
    recent = select(func.count()).select_from(ConfirmationRequest)
    recent = recent.where(col(ConfirmationRequest.created_at) >= since)
    by_address = session.exec(recent.where(ConfirmationRequest.email == address)).one()
    by_account = 0
    if telegram_id is not None:
        by_account = session.exec(
            recent.where(ConfirmationRequest.telegram_id == telegram_id)
        ).one()
    if (
        by_address >= settings.newsletter_confirmations_per_address
        or by_account >= settings.newsletter_confirmations_per_account
    ):
        raise InvalidInput("newsletter_too_many_requests")
    request = ConfirmationRequest(email=address, telegram_id=telegram_id)
    session.add(request)
    session.flush()
    assert request.id is not None
    return request.id


def activate(session: Session, subscriber: Subscriber, *, channel: str, source: str) -> None:
    """Make active with this consent (confirmed opt-in, import, coordinator)."""
    now = utcnow()
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.consent_channel = channel
    subscriber.consent_source = source
    subscriber.consent_at = now
    subscriber.confirm_code = None
    subscriber.left_at = None
    _touch(subscriber)
    session.add(subscriber)
    session.flush()
    if subscriber.person_id is not None:
        people.record_consent(
            session, subscriber.person_id, ConsentPurpose.NEWSLETTER, channel, source
        )
    audit.record(session, channel, "newsletter.subscribed", "newsletter_subscriber", subscriber.id)


def confirm(session: Session, subscriber: Subscriber) -> bool:
    """Confirm a pending subscription; False when there was nothing to confirm."""
    if subscriber.status != SubscriberStatus.PENDING:
        return False
    activate(
        session, subscriber, channel=subscriber.consent_channel, source=subscriber.consent_source
    )
    return True


def _check_confirmable(subscriber: Subscriber) -> None:
    if subscriber.status != SubscriberStatus.PENDING or subscriber.confirm_code is None:
        raise InvalidInput("newsletter_nothing_to_confirm")
    sent = subscriber.confirm_sent_at or subscriber.created_at
    if utcnow() - sent > CONFIRM_VALIDITY or subscriber.confirm_attempts >= MAX_CODE_ATTEMPTS:
        raise InvalidInput("newsletter_code_expired")


def confirm_link(session: Session, subscriber: Subscriber) -> bool:
    """Confirm from the e-mailed link; False when it was already active."""
    if subscriber.status == SubscriberStatus.ACTIVE:
        return False
    _check_confirmable(subscriber)
    return confirm(session, subscriber)


def confirm_code(session: Session, subscriber: Subscriber, code: str) -> None:
    """Confirm with the code from the e-mail; raises :class:`InvalidInput` with the reason.

    An address already subscribed has no code: any code is wrong, exactly as
    for a pending one, so the answer tells nothing about the list.
    """
    if subscriber.status != SubscriberStatus.ACTIVE:
        _check_confirmable(subscriber)
    elif subscriber.confirm_attempts >= MAX_CODE_ATTEMPTS:
        raise InvalidInput("newsletter_code_expired")
    expected = subscriber.confirm_code or ""
    if not expected or not secrets.compare_digest(code.strip(), expected):
        subscriber.confirm_attempts += 1
        session.add(subscriber)
        left = MAX_CODE_ATTEMPTS - subscriber.confirm_attempts
        raise InvalidInput("newsletter_code_wrong", left=left)
    confirm(session, subscriber)


def unsubscribe(session: Session, subscriber: Subscriber, *, channel: str) -> bool:
    """Stop mailing this address; False when it was already not subscribed."""
    if subscriber.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
        return False
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.left_at = utcnow()
    subscriber.confirm_code = None
    _touch(subscriber)
    session.add(subscriber)
    if subscriber.person_id is not None:
        session.add(
            Consent(
                person_id=subscriber.person_id,
                purpose=ConsentPurpose.NEWSLETTER,
                granted=False,
                channel=channel,
                source="désabonnement",
            )
        )
    session.flush()
    audit.record(
        session, channel, "newsletter.unsubscribed", "newsletter_subscriber", subscriber.id
    )
    _ended(session, subscriber)
    return True


def _ended(session: Session, subscriber: Subscriber) -> None:
    assert subscriber.id is not None
    signals.emit(session, SubscriptionEnded(subscriber_id=subscriber.id, email=subscriber.email))


def mark_bounced(session: Session, address: str) -> bool:
    """The server said the address does not exist (5.1.x): never mail it again."""
    subscriber = by_email(session, address)
    if subscriber is None or subscriber.status == SubscriberStatus.BOUNCED:
        return False
    subscriber.status = SubscriberStatus.BOUNCED
    subscriber.left_at = utcnow()
    _touch(subscriber)
    session.add(subscriber)
    session.flush()
    audit.record(session, "mailer", "newsletter.bounced", "newsletter_subscriber", subscriber.id)
    _ended(session, subscriber)
    return True


def from_token(session: Session, purpose: tokens.Purpose, token: str) -> Subscriber | None:
    """The subscriber a signed link is for, or None when it is malformed, forged or stale."""
    subscriber_id = tokens.subscriber_id(token)
    if subscriber_id is None:
        return None
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or not tokens.verify(purpose, token, subscriber_id, subscriber.email):
        return None
    return subscriber


def counts(session: Session) -> dict[SubscriberStatus, int]:
    rows = session.exec(
        select(Subscriber.status, func.count()).group_by(col(Subscriber.status))
    ).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in SubscriberStatus}


def page(
    session: Session,
    *,
    after_id: int = 0,
    status: SubscriberStatus | None = None,
    limit: int = BATCH,
) -> list[Subscriber]:
    """Up to ``limit`` subscribers after ``after_id``, by id (keyset paging, index-backed)."""
    query = select(Subscriber).where(col(Subscriber.id) > after_id)
    if status is not None:
        query = query.where(Subscriber.status == status)
    return list(session.exec(query.order_by(col(Subscriber.id)).limit(limit)))


def stream(
    session: Session, *, status: SubscriberStatus | None = None, batch: int = BATCH
) -> Iterator[Subscriber]:
    """Every subscriber, a page at a time, so memory does not grow with the list.

    The session's identity map holds rows weakly: pages the caller dropped are freed.
    """
    after_id = 0
    while rows := page(session, after_id=after_id, status=status, limit=batch):
        yield from rows
        assert rows[-1].id is not None
        after_id = rows[-1].id


def on_person_erased(session: Session, event: signals.PersonErased) -> None:
    """Erasure reaches the subscription: linked by person or by the person's address."""
    person = session.get(Person, event.person_id)
    condition = col(Subscriber.person_id) == event.person_id
    if person is not None and person.email:
        condition = condition | (col(Subscriber.email) == person.email)
    session.exec(delete(Subscriber).where(condition))  # type: ignore[call-overload]


def export_for_person(session: Session, person_id: int) -> dict[str, str | None] | None:
    """The subscription in a person's data export (RGPD right of access)."""
    person = session.get(Person, person_id)
    subscriber = by_person(session, person_id)
    if subscriber is None and person is not None and person.email:
        subscriber = by_email(session, person.email)
    if subscriber is None:
        return None
    kind = (
        session.get(StructureType, subscriber.structure_type_id)
        if subscriber.structure_type_id
        else None
    )
    return {
        "adresse_e_mail": subscriber.email,
        "prenom": subscriber.first_name or None,
        "nom": subscriber.last_name or None,
        "structure": subscriber.organisation or None,
        "type_de_structure": kind.name if kind else None,
        "etat": t(f"newsletter.statuses.{subscriber.status.value}"),
        "consentement_par": data_export.channel_label(subscriber.consent_channel) or None,
        "consentement_precision": subscriber.consent_source or None,
        "consentement_le": data_export.when(subscriber.consent_at),
        "cree_le": data_export.when(subscriber.created_at),
        "modifie_le": data_export.when(subscriber.updated_at),
        "desabonne_le": data_export.when(subscriber.left_at),
    }
