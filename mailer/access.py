"""The e-mails of access without an account: the « Mes inscriptions » link and the
confirmation link of a registration typed on the web for a known address.

The link travels in the row's payload (it is signed and expires); the row is
queued in the transaction of the request, like every other mail.
"""

from __future__ import annotations

import secrets
from email.message import EmailMessage

from sqlmodel import Session

from mailer import compose
from mailer.kinds import Unrenderable
from mailer.models import OutboxMessage
from mailer.notify import mail_address
from mailer.outbox import enqueue, register_renderer
from relais import signals
from relais.access.models import PendingRegistration
from relais.access.services import manage_validity
from relais.events import services as events
from relais.events.models import Series
from relais.i18n import t
from relais.people.models import Person
from relais.signin.services import link_validity

ACCESS_LINK = "access_link"
REGISTRATION_LINK = "registration_link"
SIGNIN_LINK = "signin_link"
LETTER = "coordinator_letter"


def _queue(session: Session, kind: str, person_id: int, payload: dict[str, object]) -> None:
    person = session.get(Person, person_id)
    address = mail_address(person)
    if address is None:
        return
    enqueue(
        session, kind=kind, to=address, person_id=person_id, payload=payload,
        idempotency_key=f"{kind}:{person_id}:{secrets.token_hex(8)}",
    )  # fmt: skip


def on_access_link(session: Session, ev: signals.AccessLinkRequested) -> None:
    _queue(session, ACCESS_LINK, ev.person_id, {"url": ev.url})


def on_registration_link(session: Session, ev: signals.RegistrationLinkRequested) -> None:
    """To the known person, or to the address typed for a new one (nobody is saved yet)."""
    payload: dict[str, object] = {"url": ev.url}
    if ev.event_id is not None:
        payload["event_id"] = ev.event_id
    if ev.series_id is not None:
        payload["series_id"] = ev.series_id
    if ev.person_id is not None:
        _queue(session, REGISTRATION_LINK, ev.person_id, payload)
        return
    pending = session.get(PendingRegistration, ev.pending_id)
    if pending is not None:
        enqueue(
            session, kind=REGISTRATION_LINK, to=pending.email,
            payload={**payload, "pending_id": pending.id},
            idempotency_key=f"{REGISTRATION_LINK}:n{pending.id}",
        )  # fmt: skip


def on_signin_link(session: Session, ev: signals.SignInLinkRequested) -> None:
    """The back-office link goes to the address that has the role (no person row needed)."""
    enqueue(
        session, kind=SIGNIN_LINK, to=ev.email, payload={"url": ev.url},
        idempotency_key=f"{SIGNIN_LINK}:{secrets.token_hex(8)}",
    )  # fmt: skip


def on_letter(session: Session, ev: signals.LetterToRegistrants) -> None:
    """One outbox row per person; the text travels in the payload, rendered when sent."""
    batch = secrets.token_hex(8)
    payload: dict[str, object] = {"subject": ev.subject, "body": ev.body, "event_id": ev.event_id}
    for person_id in ev.person_ids:
        _queue_keyed(session, LETTER, person_id, payload, f"{LETTER}:{batch}:{person_id}")


def _queue_keyed(
    session: Session, kind: str, person_id: int, payload: dict[str, object], key: str
) -> None:
    address = mail_address(session.get(Person, person_id))
    if address is not None:
        enqueue(
            session, kind=kind, to=address, person_id=person_id, payload=payload,
            idempotency_key=key,
        )  # fmt: skip


def render_letter(session: Session, row: OutboxMessage) -> EmailMessage:
    person = _person(session, row)
    event = events.get(session, int(row.payload["event_id"]))
    subject = str(row.payload["subject"])
    text, html = compose.render_parts(
        LETTER, person=person, body=str(row.payload["body"]), event=event
    )
    return compose.message(subject=subject, text=text, html=html)


def render_signin_link(_session: Session, row: OutboxMessage) -> EmailMessage:
    minutes = int(link_validity().total_seconds() // 60)
    return _build(SIGNIN_LINK, url=row.payload["url"], minutes=minutes)


def _person(session: Session, row: OutboxMessage) -> Person:
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    if person is None or person.erased_at is not None:
        raise Unrenderable(f"{row.kind} #{row.id}: person gone")
    return person


def _build(template: str, **context: object) -> EmailMessage:
    text, html = compose.render_parts(template, **context)
    return compose.message(subject=compose.subject(template, **context), text=text, html=html)


def render_access_link(session: Session, row: OutboxMessage) -> EmailMessage:
    person = _person(session, row)
    days = manage_validity().days
    return _build(ACCESS_LINK, person=person, url=row.payload["url"], days=days)


def render_registration_link(session: Session, row: OutboxMessage) -> EmailMessage:
    """The known person is greeted by their stored name; a new address by no name at all,
    since a stranger may have typed one to put words in the organisation's mail. Its
    footer says why it came, since the owner may have asked for nothing."""
    if "series_id" in row.payload:
        series = session.get(Series, row.payload["series_id"])
        title = series.title if series else ""
    else:
        title = events.get(session, int(row.payload["event_id"])).title
    why_sent = t("mail.why_sent_typed")
    if "pending_id" not in row.payload:
        person = _person(session, row)
        return _build(REGISTRATION_LINK, first_name=person.first_name, known=True,
                      url=row.payload["url"], title=title, why_sent=why_sent)  # fmt: skip
    pending = session.get(PendingRegistration, int(row.payload["pending_id"]))
    if pending is None or pending.confirmed_at is not None:
        raise Unrenderable(f"{row.kind} #{row.id}: registration no longer waiting")
    return _build(REGISTRATION_LINK, first_name="", known=False,
                  url=row.payload["url"], title=title, why_sent=why_sent)  # fmt: skip


def subscribe() -> None:
    signals.on(signals.AccessLinkRequested, on_access_link)
    signals.on(signals.RegistrationLinkRequested, on_registration_link)
    signals.on(signals.SignInLinkRequested, on_signin_link)
    signals.on(signals.LetterToRegistrants, on_letter)
    register_renderer(LETTER, render_letter)
    register_renderer(SIGNIN_LINK, render_signin_link)
    register_renderer(ACCESS_LINK, render_access_link)
    register_renderer(REGISTRATION_LINK, render_registration_link)
