"""Each domain event queues the right e-mails, in its transaction, with the right invitation."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
import vobject
from sqlmodel import Session, select

from mailer import kinds
from mailer.dispatch import Dispatcher
from mailer.models import OutboxMessage
from relais.events import services as events
from relais.events.models import Event, EventFormat
from relais.people.erasure import erase
from relais.registrations import services as registrations
from relais.settings import get_settings
from relais.timefmt import utcnow
from tests.factories import make_event, make_person
from tests.mail.conftest import SmtpRecorder, part_of

LINK = "https://visio.exemple.fr/salle"


async def dispatch() -> int:
    from relais.db import session_scope

    with session_scope() as session:
        remember_order(session)
    dispatcher = Dispatcher(get_settings())
    try:
        return await dispatcher.run_once()
    finally:
        await dispatcher.close()


def webinar(session: Session, **fields: object) -> Event:
    return make_event(session, format=EventFormat.DISTANCIEL, visio_url=LINK, **fields)


def kinds_queued(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
    session.commit()
    return [(row.kind, row.to_address) for row in rows]


def calendar_of(message: EmailMessage) -> vobject.base.Component | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return vobject.readOne(part.get_content())
    return None


def mails_to(server: SmtpRecorder, address: str) -> list[EmailMessage]:
    """In the order they were queued (several connections deliver in any order)."""
    found = [message for message in server.messages if message["To"] == address]
    return sorted(found, key=lambda message: queued_order[message["Message-ID"]])


queued_order: dict[str, int] = {}


def remember_order(session: Session) -> None:
    for row in session.exec(select(OutboxMessage)):
        queued_order[row.message_id] = row.id or 0
    session.commit()


async def test_waiting_list_promotion_and_cancellation(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    event = webinar(session, capacity=1)
    first = make_person(session, email="premiere@exemple.fr")
    second = make_person(session, email="seconde@exemple.fr")
    assert event.id and first.id and second.id
    mine = registrations.register(session, event.id, first.id, source="test").registration
    registrations.register(session, event.id, second.id, source="test")
    session.commit()
    assert mine.id is not None
    registrations.cancel(session, mine.id, "test")
    session.commit()
    assert kinds_queued(session) == [
        (kinds.REGISTERED, "premiere@exemple.fr"),
        (kinds.WAITLISTED, "seconde@exemple.fr"),
        (kinds.REGISTRATION_CANCELLED, "premiere@exemple.fr"),
        (kinds.PROMOTED, "seconde@exemple.fr"),
    ]
    assert await dispatch() == 4

    # Several connections deliver concurrently: tell the two mails apart by content, not order.
    received = mails_to(smtp_server, "seconde@exemple.fr")
    assert len(received) == 2
    waiting = next(m for m in received if calendar_of(m) is None)
    promoted = next(m for m in received if calendar_of(m) is not None)
    assert LINK not in part_of(waiting, "text/plain").get_content()
    assert "n° 1" in part_of(waiting, "text/plain").get_content()
    request = calendar_of(promoted)
    assert request is not None and request.method.value == "REQUEST"
    assert LINK in part_of(promoted, "text/html").get_content()

    by_method = {
        calendar.method.value: (message, calendar)
        for message in mails_to(smtp_server, "premiere@exemple.fr")
        if (calendar := calendar_of(message)) is not None
    }
    assert set(by_method) == {"REQUEST", "CANCEL"}
    invitation = by_method["REQUEST"][1]
    cancelled, cancellation = by_method["CANCEL"]
    assert cancellation.method.value == "CANCEL"
    assert not hasattr(cancellation.vevent, "status")  # the event itself goes on
    assert cancellation.vevent.uid.value == invitation.vevent.uid.value
    assert int(cancellation.vevent.sequence.value) == int(invitation.vevent.sequence.value) + 1
    assert LINK not in part_of(cancelled, "text/plain").get_content()


async def test_registering_again_after_cancelling_outranks_the_cancellation(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    event = webinar(session)
    person = make_person(session, email="revient@exemple.fr")
    assert event.id and person.id
    registration = registrations.register(session, event.id, person.id, source="t").registration
    session.commit()
    assert registration.id is not None
    registrations.cancel(session, registration.id, "test")
    session.commit()
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    assert await dispatch() == 3
    by_id = {m["Message-ID"]: m for m in mails_to(smtp_server, "revient@exemple.fr")}
    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
    session.commit()
    sent = [(row.kind, calendar_of(by_id[row.message_id])) for row in rows]
    assert [(kind, int(ics.vevent.sequence.value), ics.method.value) for kind, ics in sent] == [
        (kinds.REGISTERED, 0, "REQUEST"),
        (kinds.REGISTRATION_CANCELLED, 1, "CANCEL"),
        (kinds.REGISTERED, 2, "REQUEST"),
    ]


async def test_a_move_sends_updated_invitations_a_title_change_does_not(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    event = webinar(session, capacity=1)
    confirmed = make_person(session, email="inscrite@exemple.fr")
    waiting = make_person(session, email="attente@exemple.fr")
    assert event.id and confirmed.id and waiting.id
    registrations.register(session, event.id, confirmed.id, source="t")
    registrations.register(session, event.id, waiting.id, source="t")
    session.commit()
    events.update(session, event.id, {"title": "Nouveau titre du webinaire"}, "test")
    session.commit()
    assert [kind for kind, _ in kinds_queued(session)] == [kinds.REGISTERED, kinds.WAITLISTED]
    session.refresh(event)
    assert event.sequence == 0  # not significant (RFC 5546): nothing sent, nothing raised
    events.move(session, event.id, event.starts_at + timedelta(days=1), "test")
    session.commit()
    await dispatch()

    changed = [m for m in smtp_server.messages if m["Subject"].startswith("Changement")]
    assert sorted(m["To"] for m in changed) == ["attente@exemple.fr", "inscrite@exemple.fr"]
    [for_confirmed] = [m for m in changed if m["To"] == "inscrite@exemple.fr"]
    update = calendar_of(for_confirmed)
    assert update is not None and update.method.value == "REQUEST"
    assert int(update.vevent.sequence.value) == 1
    assert update.vevent.summary.value == "Nouveau titre du webinaire"
    assert "la date ou l'heure a changé" in part_of(for_confirmed, "text/plain").get_content()
    [for_waiting] = [m for m in changed if m["To"] == "attente@exemple.fr"]
    assert calendar_of(for_waiting) is None
    assert LINK not in part_of(for_waiting, "text/plain").get_content()


async def test_a_change_of_format_sends_the_updated_invitation(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    event = make_event(session, format=EventFormat.PRESENTIEL, venue="Maison des associations")
    person = make_person(session, email="format@exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    await dispatch()
    changed = events.update(
        session, event.id, {"format": EventFormat.DISTANCIEL, "visio_url": ""}, "test"
    )
    session.commit()
    assert changed.moved
    await dispatch()
    [first, update] = mails_to(smtp_server, "format@exemple.fr")
    before, after = calendar_of(first), calendar_of(update)
    assert before is not None and after is not None and after.method.value == "REQUEST"
    assert before.vevent.location.value == "Maison des associations"
    assert after.vevent.location.value == "webinaire"
    assert after.vevent.uid.value == before.vevent.uid.value
    assert int(after.vevent.sequence.value) == int(before.vevent.sequence.value) + 1
    assert "la modalité (sur place ou à distance)" in part_of(update, "text/plain").get_content()
    raw = next(p for p in update.walk() if p.get_content_type() == "text/calendar")
    assert b"SEQUENCE:1\r\n" in raw.get_payload(decode=True)


async def test_a_new_public_address_keeps_the_uid_and_old_replies_still_match(
    session: Session, smtp_server: SmtpRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PUBLIC_BASE_URL set to the real domain after invitations left: same calendar entry."""
    from relais.registrations import answers

    event = webinar(session)
    person = make_person(session, email="domaine@exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    await dispatch()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://relais.crpv.example")
    get_settings.cache_clear()
    events.move(session, event.id, event.starts_at + timedelta(hours=1), "test")
    session.commit()
    await dispatch()
    [first, update] = [calendar_of(m) for m in mails_to(smtp_server, "domaine@exemple.fr")]
    assert first is not None and update is not None
    assert (
        first.vevent.uid.value == update.vevent.uid.value == f"event-{event.id}-{event.code}@relais"
    )
    assert "https://relais.crpv.example/e/" in update.vevent.description.value
    old_form = f"event-{event.id}-{event.code}@localhost"  # invitations sent before
    for uid in (update.vevent.uid.value, old_form):
        found = answers.registration_for(session, uid, "domaine@exemple.fr")
        assert found is not None and found.person_id == person.id
    assert (
        answers.registration_for(session, f"event-{event.id}-zzzzzz@relais", "domaine@exemple.fr")
        is None
    )
    session.rollback()


async def test_each_session_of_a_cycle_is_its_own_entry_and_its_cancel_names_it(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    from relais.events.ical import event_uid
    from relais.events.schemas import EventInput

    start = utcnow() + timedelta(days=5)
    inputs = [
        EventInput(title=f"Séance {n}", starts_at=start + timedelta(days=7 * n)) for n in range(3)
    ]
    _series, sessions = events.create_series(session, "Cycle numérique", inputs, "test")
    person = make_person(session, email="cycle@exemple.fr")
    assert person.id and _series.id
    registrations.register_series(session, _series.id, person.id, source="t")
    session.commit()
    await dispatch()
    second = sessions[1]
    assert second.id is not None
    events.cancel(session, second.id, "Salle indisponible", "test")
    session.commit()
    await dispatch()
    received = [calendar_of(m) for m in mails_to(smtp_server, "cycle@exemple.fr")]
    requests = [c for c in received if c is not None and c.method.value == "REQUEST"]
    assert sorted(c.vevent.uid.value for c in requests) == sorted(map(event_uid, sessions))
    assert len({c.vevent.uid.value for c in requests}) == 3
    [cancel] = [c for c in received if c is not None and c.method.value == "CANCEL"]
    assert cancel.vevent.uid.value == event_uid(second)
    assert cancel.vevent.status.value == "CANCELLED" and int(cancel.vevent.sequence.value) == 1


async def test_cancelling_the_event_tells_everyone(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    event = webinar(session, capacity=1)
    confirmed = make_person(session, email="inscrite@exemple.fr")
    waiting = make_person(session, email="attente@exemple.fr")
    assert event.id and confirmed.id and waiting.id
    registrations.register(session, event.id, confirmed.id, source="t")
    registrations.register(session, event.id, waiting.id, source="t")
    session.commit()
    events.cancel(session, event.id, "Intervenant malade", "test")
    session.commit()
    await dispatch()
    cancelled = {m["To"]: m for m in smtp_server.messages if m["Subject"].startswith("Annulé")}
    assert set(cancelled) == {"inscrite@exemple.fr", "attente@exemple.fr"}
    cancel = calendar_of(cancelled["inscrite@exemple.fr"])
    assert cancel is not None and cancel.method.value == "CANCEL"
    assert cancel.vevent.status.value == "CANCELLED" and int(cancel.vevent.sequence.value) == 1
    assert calendar_of(cancelled["attente@exemple.fr"]) is None
    assert (
        "Intervenant malade" in part_of(cancelled["attente@exemple.fr"], "text/plain").get_content()
    )


def test_erasure_removes_unsent_mail(session: Session) -> None:
    event = webinar(session)
    person = make_person(session, email="efface@exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    erase(session, person.id, "test")
    session.commit()
    assert kinds_queued(session) == []


def test_two_quick_changes_make_one_email_and_the_export_lists_emails(session: Session) -> None:
    from relais.people import export as data_export

    event = webinar(session)
    person = make_person(session, email="suivi@exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    events.move(session, event.id, event.starts_at + timedelta(hours=2), "test")
    session.commit()
    events.update(session, event.id, {"visio_url": "https://visio.exemple.fr/autre"}, "test")
    session.commit()
    changed = [row for row in session.exec(select(OutboxMessage))
               if row.kind == kinds.EVENT_CHANGED]  # fmt: skip
    assert len(changed) == 1
    assert changed[0].payload["changes"] == ["ends_at", "starts_at", "visio_url"]
    exported = data_export.export(session, person.id)["emails"]
    assert [entry["e_mail"] for entry in exported] == [
        "confirmation d'inscription",
        "changement de la rencontre",
    ]
    assert exported[0]["adresse"] == "suivi@exemple.fr" and exported[0]["etat"] == "à envoyer"
