"""Reaching a network: invitations by e-mail and Telegram (once each), paced broadcasts, members."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlmodel import Session, select

from bot.application import BotComponent
from relais.invitations.models import Invitation
from relais.networks import services as networks
from relais.networks.models import Network, NetworkMember
from relais.people import services as people
from relais.registrations import services as registrations
from relais.timefmt import parse_local, utcnow
from tests.admin.conftest import SmtpRecorder, assert_golden, coordinator, dispatch_mail
from tests.admin.test_bot_manage import open_event
from tests.bot.helpers import known_user
from tests.botapi import BotAPI
from tests.factories import make_event, make_person
from tests.mail.conftest import part_of

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _member(session: Session, network: Network, *, bounces: bool = False, **fields: object) -> int:
    person = make_person(session, **fields)
    assert person.id is not None and network.id is not None
    person.email_invalid = bounces
    session.add(person)
    networks.add_member(session, network.id, person.id, "test")
    session.commit()
    return person.id


async def test_invite_a_network_by_email_and_telegram_once(
    api: BotAPI, bot: BotComponent, session: Session, smtp_server: SmtpRecorder
) -> None:
    network = networks.create(session, "Réseau des référents PRE – 91", "test")
    session.commit()
    event = make_event(
        session, title="Rencontre des référents PRE", starts_at=parse_local("08/04/2031 09:30"),
        venue="Maison des services publics, Évry", networks=[network.code],
    )  # fmt: skip
    linked, linked_person = known_user(api, session, "Alix")
    assert linked_person.id is not None and network.id is not None and event.id is not None
    networks.add_member(session, network.id, linked_person.id, "test")
    _member(session, network, email="bilal@exemple.fr", first_name="Bilal")
    _member(session, network, email="invalide@exemple.fr", bounces=True)
    registered = _member(session, network, email="deja@exemple.fr")
    registrations.register(session, event.id, registered, source="test")
    session.commit()
    await dispatch_mail()
    smtp_server.messages.clear()

    claire = coordinator(api, session)
    await open_event(claire, "Rencontre des référents")
    await claire.tap("✉️ Inviter un réseau")
    await claire.expect("Inviter quel réseau")
    await claire.tap("Réseau des référents PRE – 91")
    preview = await claire.expect("À inviter maintenant")
    assert "À inviter maintenant : 2 par e-mail, 1 par Telegram" in preview.text
    await claire.tap("✉️ Envoyer les invitations")
    report = await claire.expect("personne(s) invitée(s)")
    assert "2 personne(s) invitée(s), 2 par e-mail et 1 par Telegram" in report.text
    assert "1 déjà inscrit(s), 0 déjà invité(s), 1 sans e-mail valide ni Telegram" in report.text

    telegram = await linked.expect("Vous êtes invité·e")
    assert f"?start={event.code}" in telegram.html
    assert_golden("invitation_telegram.html", telegram.html.replace(event.code, "CODE"))
    await dispatch_mail()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "alix." + str(linked.id) + "@exemple.fr", "bilal@exemple.fr",
    ]  # fmt: skip
    bilal = next(m for m in smtp_server.messages if m["To"] == "bilal@exemple.fr")
    assert bilal["Subject"] == "Invitation : Rencontre des référents PRE"
    text = part_of(bilal, "text/plain").get_content()
    assert_golden(
        "invitation_email.txt", text.replace("\r\n", "\n").replace(event.code, "CODE").strip()
    )

    await open_event(claire, "Rencontre des référents")
    await claire.tap("✉️ Inviter un réseau")
    await claire.expect("Inviter quel réseau")
    await claire.tap("Réseau des référents PRE – 91")
    again = await claire.expect("À inviter maintenant")
    assert "Déjà invités : 2" in again.text
    await claire.tap("✉️ Envoyer les invitations")
    second = await claire.expect("personne(s) invitée(s)")
    assert "0 personne(s) invitée(s)" in second.text and "2 déjà invité(s)" in second.text
    assert len(session.exec(select(Invitation)).all()) == 3
    session.commit()
    await dispatch_mail()
    assert len(smtp_server.messages) == 2


def _crowd(session: Session, network: Network, size: int, first_chat: int) -> list[int]:
    chats = []
    for number in range(size):
        person = people.save_profile(
            session, email=f"membre{first_chat + number}@exemple.fr", first_name="Membre",
            last_name=f"N{number:03d}", telegram_id=first_chat + number,
        )  # fmt: skip
        assert person.id is not None and network.id is not None
        session.add(NetworkMember(network_id=network.id, person_id=person.id))
        chats.append(first_chat + number)
    session.commit()
    return chats


async def test_broadcast_to_200_members_paced_with_final_count(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    network = networks.create(session, "Réseau des médiateurs – 93", "test")
    chats = _crowd(session, network, 200, 700_000)
    for chat in chats[::20]:
        api.block(chat)
    claire = coordinator(api, session)
    await claire.send("/diffuser")
    await claire.expect("à quel réseau")
    await claire.tap("Réseau des médiateurs – 93")
    await claire.expect("Écrivez le message")
    await claire.send("Rappel : la rencontre de jeudi a lieu salle <B> & C.")
    preview = await claire.expect("Rappel : la rencontre")
    assert "salle <B> & C." in preview.text
    await claire.tap("📣 Envoyer à 200 personne(s)")
    await claire.expect("Envoi en cours à 200 personne(s)")
    final = await claire.expect("Diffusion terminée", timeout=60)
    assert (
        final.text
        == "📣 Diffusion terminée : 190 remis, 10 bloqué(s) (la personne a bloqué le bot)."
    )

    sends = sorted(
        (call for call in api.calls_to("sendMessage") if call.chat_id in set(chats)),
        key=lambda call: call.at,
    )
    assert len(sends) == 200 and len({call.chat_id for call in sends}) == 200
    fastest = min(later.at - earlier.at for earlier, later in zip(sends, sends[30:], strict=False))
    # About 30 per second overall: 31 sends span ~1 s (unpaced they take ~0.1 s). The
    # margin absorbs HTTP jitter on a loaded 2-core machine; the order of magnitude is the test.
    assert fastest >= 0.6
    assert (
        sum(person.telegram_blocked for person in networks.members(session, network.id or 0)) == 10
    )
    session.commit()


async def test_each_chat_gets_at_most_one_message_per_second(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    network = networks.create(session, "Réseau des médiateurs – 93", "test")
    chats = _crowd(session, network, 3, 800_000)
    claire = coordinator(api, session)
    for text in ("Premier message", "Deuxième message", "Troisième message"):
        await claire.send("/diffuser")
        await claire.expect("à quel réseau")
        await claire.tap("Réseau des médiateurs – 93")
        await claire.expect("Écrivez le message")
        await claire.send(text)
        await claire.expect(text)
        await claire.tap("📣 Envoyer à 3 personne(s)")
        await claire.expect("Envoi en cours")
    await _reports(api, claire.id, count=3)
    for chat in chats:
        times = sorted(call.at for call in api.calls_to("sendMessage", chat))
        assert len(times) == 3
        assert min(b - a for a, b in pairwise(times)) >= 0.6  # 1 s apart, HTTP jitter allowed


async def _reports(api: BotAPI, chat_id: int, count: int, timeout: float = 30.0) -> None:
    """Wait for ``count`` final reports in the coordinator's chat, whenever each came.

    A report may arrive while the next broadcast is being typed (``expect`` skips it
    there), so they are counted among every message the chat received.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        texts = [m.text for m in api.messages.values() if m.chat_id == chat_id]
        done = sum("Diffusion terminée" in text for text in texts)
        if done >= count or loop.time() > deadline:
            assert done == count, texts
            return
        await asyncio.sleep(0.1)


async def test_manage_network_members(api: BotAPI, bot: BotComponent, session: Session) -> None:
    network = networks.create(session, "Réseau des médiateurs – 93", "test")
    make_person(session, email="nadia@exemple.fr", first_name="Nadia", last_name="Benali")
    event = make_event(session, title="Rencontre de novembre")
    karim = make_person(session, email="karim@exemple.fr", first_name="Karim", last_name="Dufresne")
    assert event.id is not None and karim.id is not None
    registrations.register(session, event.id, karim.id, source="test")
    session.commit()
    claire = coordinator(api, session)
    await claire.send("/reseaux")
    await claire.expect("Réseaux")
    await claire.tap("Réseau des médiateurs – 93 (0)")
    await claire.expect("0 membre(s)")
    await claire.tap("➕ Ajouter par e-mail")
    await claire.expect("Adresses e-mail")
    await claire.send("nadia@exemple.fr, inconnu@exemple.fr pas-une-adresse")
    report = await claire.expect("Ajouté·es")
    assert "Ajouté·es : Nadia Benali" in report.text
    assert (
        "inconnu@exemple.fr" in report.text
        and "Adresses invalides : pas-une-adresse" in report.text
    )
    await claire.expect("1 membre(s)")
    await claire.tap("➕ Ajouter les inscrits d'un événement")
    await claire.expect("les inscrits de quel événement")
    await claire.tap(
        next(
            b
            for b in api.find_button(claire.id, "↩️ Retour", None)[0].button_texts()
            if "novembre" in b
        )
    )
    await claire.expect("1 inscrit(s) de « Rencontre de novembre » ajouté(s)")
    listing = await claire.expect("2 membre(s)")
    assert "Benali Nadia" in listing.text and "Dufresne Karim" in listing.text
    assert network.id is not None
    assert len(networks.members(session, network.id)) == 2
    session.commit()


async def test_today_lists_events_with_check_in_link(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(
        session, title="Journée régionale", starts_at=utcnow() + timedelta(minutes=30)
    )
    make_event(session, title="Plus tard", starts_at=utcnow() + timedelta(days=3))
    claire = coordinator(api, session)
    await claire.send("/aujourdhui")
    today = await claire.expect("Aujourd'hui")
    assert "Journée régionale" in today.text and "Plus tard" not in today.text
    assert f"?start=p_{event.code}" in today.text
    await claire.tap("📷 QR d'émargement", on=today.message)
    picture = await claire.next_document()
    poster = await claire.next_document()
    assert picture.message.document is not None and poster.message.document is not None
    assert picture.message.document[0] == f"{event.code}-emargement.png"
    assert picture.message.document[1].startswith(b"\x89PNG")
    assert poster.message.document[1].startswith(b"%PDF")
