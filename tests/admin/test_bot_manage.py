"""Editing, cancelling, duplicating an event and following its registrations from the bot.

The people registered get the change on Telegram (bot outbox) and by e-mail
through the real dispatcher to an SMTP server on loopback, with the updated
calendar invitation.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.application import BotComponent
from relais.events import services as events
from relais.events.models import Event, EventFormat, EventStatus
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import local, parse_local
from tests.admin.conftest import SmtpRecorder, assert_golden, coordinator, dispatch_mail
from tests.bot.helpers import known_user
from tests.botapi import BotAPI, Output, ScriptedUser
from tests.factories import make_event
from tests.mail.conftest import part_of

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _event(session: Session, **fields: object) -> Event:
    start = parse_local("04/03/2031 09:30")
    return make_event(
        session, title="Webinaire santé mentale", format=EventFormat.DISTANCIEL,
        visio_url="https://visio.exemple.fr/sante", starts_at=start, **fields,
    )  # fmt: skip


async def open_event(user: ScriptedUser, fragment: str) -> Output:
    """/admin → Événements → the event whose button contains ``fragment``: its card."""
    await user.send("/admin")
    await user.expect("Espace coordinateurs")
    await user.tap("📅 Événements")
    listing = await user.expect("Choisissez")
    label = next(text for text in listing.message.button_texts() if fragment in text)
    await user.tap(label, on=listing.message)
    return await user.expect("Statut :")


async def test_moving_an_event_sends_updated_invitations(
    api: BotAPI, bot: BotComponent, session: Session, smtp_server: SmtpRecorder
) -> None:
    event = _event(session, capacity=10)
    participant, person = known_user(api, session, "Dominique")
    assert event.id is not None and person.id is not None
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    await dispatch_mail()
    smtp_server.messages.clear()

    claire = coordinator(api, session)
    card = await open_event(claire, "Webinaire")
    assert_golden(
        "event_card.txt",
        card.text.replace(event.code, "CODE").split("\n", 1)[1].split("\nInscrits")[0],
    )
    await claire.tap("✏️ Modifier")
    await claire.expect("Que voulez-vous modifier")
    await claire.tap("Date et heure")
    await claire.expect("Nouvelle date")
    await claire.send("n'importe quand")
    await claire.expect("illisible")
    await claire.send("12 mai 2031 14h")
    done = await claire.expect("Modifié")
    assert "Les 1 personne(s)" in done.text

    told = await participant.expect("Changement")
    assert "12 mai 2031" in told.text
    await dispatch_mail()
    [mail] = [m for m in smtp_server.messages if m["To"] == person.email]
    assert mail["Subject"].startswith("Changement")
    calendar = part_of(mail, "text/calendar").get_content()
    assert "METHOD:REQUEST" in calendar and "SEQUENCE:1" in calendar
    assert "DTSTART:20310512T120000Z" in calendar
    session.expire_all()
    moved = session.get(Event, event.id)
    assert (
        moved is not None
        and local(moved.starts_at).strftime("%d/%m/%Y %H:%M") == "12/05/2031 14:00"
    )
    session.commit()


async def test_cancelling_asks_a_reason_and_tells_everyone(
    api: BotAPI, bot: BotComponent, session: Session, smtp_server: SmtpRecorder
) -> None:
    event = _event(session)
    participant, person = known_user(api, session, "Dominique")
    assert event.id is not None and person.id is not None
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    claire = coordinator(api, session)
    await open_event(claire, "Webinaire")
    await claire.tap("❌ Annuler l'événement")
    await claire.expect("quel est le motif")
    await claire.send("Intervenante malade")
    confirm = await claire.expect("pour le motif « Intervenante malade »")
    assert "1 personne(s)" in confirm.text
    await claire.tap("❌ Oui, annuler l'événement")
    await claire.expect("est annulé")
    await participant.expect("Intervenante malade")
    await dispatch_mail()
    [mail] = [m for m in smtp_server.messages if m["Subject"].startswith("Annulé")]
    assert "METHOD:CANCEL" in part_of(mail, "text/calendar").get_content()
    session.expire_all()
    cancelled = session.get(Event, event.id)
    assert cancelled is not None and cancelled.status == EventStatus.CANCELLED
    session.commit()


async def test_registrations_list_xlsx_promotion_and_closing(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = _event(session, capacity=1)
    _first, first_person = known_user(api, session, "Alix")
    second, second_person = known_user(api, session, "Bilal")
    assert event.id is not None and first_person.id and second_person.id
    registrations.register(session, event.id, first_person.id, source="test")
    registrations.register(session, event.id, second_person.id, source="test")
    session.commit()

    claire = coordinator(api, session)
    await open_event(claire, "Webinaire")
    await claire.tap("🧾 Inscriptions")
    counts = await claire.expect("liste d'attente : 1")
    assert "Inscrits : 1 / 1" in counts.text
    await claire.tap("📋 Liste")
    listing = await claire.expect("inscriptions")
    assert "Durand Alix" in listing.text and "attente n° 1" in listing.text
    await claire.tap("📊 Fichier XLSX", on=counts.message)
    document = await claire.next_document()
    assert document.message.document is not None
    name, content = document.message.document
    assert name == f"inscriptions-{event.code}.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None and [sheet["A2"].value, sheet["B3"].value] == ["Durand", "Bilal"]

    await claire.tap("⏳ Liste d'attente", on=counts.message)
    await claire.expect("Touchez une personne")
    await claire.tap("1. Bilal Durand → confirmer")
    await claire.expect("Bilal Durand a une place")
    await second.expect("place")
    session.expire_all()
    statuses = {r.person_id: r.status for r in session.exec(select(Registration))}
    assert statuses[second_person.id] == RegistrationStatus.CONFIRMED
    session.commit()

    await claire.tap("🔒 Clore les inscriptions", on=counts.message)
    await claire.expect("Inscriptions closes")
    session.expire_all()
    closed = session.get(Event, event.id)
    assert closed is not None and not closed.registrations_open
    session.commit()


async def test_duplicate_keeps_networks_as_draft(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = _event(session)
    claire = coordinator(api, session)
    await open_event(claire, "Webinaire")
    await claire.tap("📄 Dupliquer")
    await claire.expect("date et heure de début")
    await claire.send("3 juin 2031 10h")
    await claire.expect("Copie créée en brouillon")
    copy = session.exec(select(Event).where(Event.id != event.id)).one()
    assert copy.status == EventStatus.DRAFT and copy.visio_url == event.visio_url
    assert local(copy.starts_at).strftime("%d/%m/%Y %H:%M") == "03/06/2031 10:00"
    assert events.network_ids(session, copy.id or 0) == events.network_ids(session, event.id or 0)
    session.commit()
