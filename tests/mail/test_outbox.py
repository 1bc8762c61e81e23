"""The outbox: idempotent rows, rendered at send time, sent to a real SMTP server."""

from __future__ import annotations

import json
from datetime import timedelta

import icalendar
import vobject
from sqlmodel import Session, select

from mailer import kinds
from mailer.dispatch import Dispatcher
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import enqueue
from relais.events.models import EventFormat
from relais.people import export as data_export
from relais.registrations import services as registrations
from relais.settings import get_settings
from relais.timefmt import utcnow
from tests.factories import make_event, make_person
from tests.mail.conftest import SmtpRecorder, part_of, parts


async def dispatch() -> int:
    dispatcher = Dispatcher(get_settings())
    try:
        return await dispatcher.run_once()
    finally:
        await dispatcher.close()


def test_same_idempotency_key_queues_once(session: Session) -> None:
    person = make_person(session)
    first = enqueue(session, kind="registered", to="a@exemple.fr", idempotency_key="k1",
                    person_id=person.id, payload={"event_id": 1})  # fmt: skip
    again = enqueue(session, kind="registered", to="a@exemple.fr", idempotency_key="k1")
    session.commit()
    assert first is not None and again is None
    assert len(session.exec(select(OutboxMessage)).all()) == 1
    assert first.message_id.startswith("<") and first.message_id.endswith("@localhost>")


async def test_confirmation_is_a_real_invitation(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    event = make_event(
        session, format=EventFormat.DISTANCIEL, visio_url="https://visio.exemple.fr/abc",
        title="Webinaire santé mentale",
    )  # fmt: skip
    person = make_person(session, first_name="Amina", email="amina@exemple.fr")
    assert event.id is not None and person.id is not None
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    row = session.exec(select(OutboxMessage)).one()
    assert row.kind == kinds.REGISTERED and row.state == OutboxState.PENDING
    session.commit()

    assert await dispatch() == 1

    [message] = smtp_server.messages
    assert parts(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    text/html",
        "    text/calendar",
        "  application/ics",
    ]
    assert message["Message-ID"] == row.message_id
    assert message["From"] == "CRPV Relais <relais@crpv.example>"
    assert message["Reply-To"] == "Équipe CRPV <contact@crpv.example>"
    assert message["To"] == "amina@exemple.fr"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime is not None
    assert message["Subject"] == "Inscription confirmée : Webinaire santé mentale"
    assert smtp_server.envelopes == [("relais@crpv.example", ["amina@exemple.fr"])]

    calendar_part = part_of(message, "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    ics = calendar_part.get_content()
    assert str(icalendar.Calendar.from_ical(ics)["METHOD"]) == "REQUEST"
    assert vobject.readOne(ics).vevent.attendee.params["CN"] == ["Amina " + person.last_name]
    attachment = part_of(message, "application/ics")
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content() == ics.encode() or attachment.get_content().decode() == ics

    html = part_of(message, "text/html").get_content()
    assert "<style" not in html and 'style="' in html
    assert "https://visio.exemple.fr/abc" in html
    assert "https://visio.exemple.fr/abc" in part_of(message, "text/plain").get_content()

    session.expire_all()
    sent = session.exec(select(OutboxMessage)).one()
    assert sent.state == OutboxState.SENT and sent.sent_at is not None
    assert sent.last_reply.startswith("2.0.0 Accepted") or "Accepted" in sent.last_reply


async def test_without_smtp_host_messages_become_eml_files(session: Session) -> None:
    event = make_event(session)
    person = make_person(session)
    assert event.id is not None and person.id is not None
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    assert await dispatch() == 1
    files = list(get_settings().mail_outbox_dir.glob("*.eml"))
    assert len(files) == 1
    assert b"METHOD:REQUEST" in files[0].read_bytes() or b"text/calendar" in files[0].read_bytes()
    session.expire_all()
    row = session.exec(select(OutboxMessage)).one()
    assert row.state == OutboxState.SENT
    # The stored answer reaches the person's data export: no path of the server in it.
    folder = str(get_settings().mail_outbox_dir)
    assert folder not in row.last_reply and ".eml" not in row.last_reply
    [mail] = data_export.export(session, person.id)["emails"]
    assert mail["reponse_du_serveur"] == "déposé dans le dossier d'envoi (aucun serveur SMTP réglé)"
    assert folder not in json.dumps(data_export.export(session, person.id), ensure_ascii=False)
    row.last_reply = f"écrit dans {folder}/00000001.eml"  # as stored before
    session.add(row)
    session.flush()
    [mail] = data_export.export(session, person.id)["emails"]
    assert mail["reponse_du_serveur"] == "déposé dans le dossier d'envoi (aucun serveur SMTP réglé)"


async def test_rows_due_later_wait(session: Session, smtp_server: SmtpRecorder) -> None:
    person = make_person(session)
    event = make_event(session)
    enqueue(session, kind=kinds.REGISTERED, to=str(person.email), idempotency_key="later",
            person_id=person.id, payload={"event_id": event.id},
            due_at=utcnow() + timedelta(hours=1))  # fmt: skip
    session.commit()
    assert await dispatch() == 0
    assert smtp_server.messages == []
