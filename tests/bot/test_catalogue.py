"""Browsing and the hooks other areas use: filters, long lists, deep-link prefixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot import parts
from bot.application import BotComponent
from relais.networks import services as networks
from relais.people.models import Person
from relais.registrations import services as registrations
from tests.bot.helpers import assert_golden, known_user
from tests.botapi import BotAPI
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
FIXED_START = datetime(2030, 5, 14, 12, 0, tzinfo=UTC)


async def test_filters_by_theme_and_by_network(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    network = networks.create(
        session, "Réseau des coordonnateurs PRE", "test", departement_code="93"
    )
    session.commit()
    make_event(
        session,
        title="Santé mentale des jeunes",
        theme="Santé",
        starts_at=FIXED_START,
        capacity=30,
        venue="Bobigny",
    )
    make_event(
        session,
        title="Réunion du réseau PRE",
        networks=[network.code],
        starts_at=FIXED_START + timedelta(days=1),
        format="distanciel",
    )
    make_event(
        session,
        title="Autre rencontre",
        starts_at=FIXED_START + timedelta(days=2),
        capacity=1,
        waitlist_enabled=False,
    )
    user = api.user("Rose")
    await user.send("/evenements")
    listing = await user.expect("Événements à venir")
    assert_golden("events_page", listing.html)
    await user.tap("🔎 Filtrer")
    await user.expect("Filtrer les événements")
    await user.tap("Par thématique")
    await user.expect("Choisissez une thématique")
    await user.tap("Santé")
    by_theme = await user.expect("thématique « Santé »")
    assert "Santé mentale" in by_theme.text and "Réunion du réseau" not in by_theme.text
    await user.tap("🔎 Filtrer")
    await user.expect("Filtrer les événements")
    await user.tap("Par réseau")
    await user.expect("Choisissez un réseau")
    await user.tap("Réseau des coordonnateurs PRE")
    by_network = await user.expect("Réseau des coordonnateurs PRE")
    assert "Réunion du réseau PRE" in by_network.text and "Santé mentale" not in by_network.text
    await user.tap("Tout voir")
    everything = await user.expect("sur 3")
    assert "Autre rencontre" in everything.text


async def test_a_long_list_of_registrations_stays_readable(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session)
    for number in range(13):
        event = make_event(
            session, title=f"Séance {number:02d}", starts_at=FIXED_START + timedelta(days=number)
        )
        registrations.register(session, event.id or 0, person.id or 0, source="test")
    session.commit()
    await user.send("/mes_inscriptions")
    listing = await user.expect("Vos inscriptions")
    assert "Séance 09" in listing.text and "Séance 10" not in listing.text
    assert "… et 3 autres inscriptions plus tard." in listing.text
    assert_golden("registrations", listing.html)
    assert len(listing.message.button_texts()) == 11


async def test_other_areas_add_deep_links_and_handlers(
    api: BotAPI, bot_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from telegram.ext import CommandHandler

    seen: list[str] = []

    async def check_in(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
        seen.append(code)
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, f"Présence notée pour {code}")

    async def admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Commande admin")

    monkeypatch.setattr(parts, "deep_links", lambda: {"p_": check_in})
    monkeypatch.setattr(
        parts,
        "installers",
        lambda: (lambda application: application.add_handler(CommandHandler("admin", admin)),),
    )
    component = BotComponent(bot_settings)  # type: ignore[arg-type]
    await component.start()
    try:
        user = api.user("Samir")
        await user.send("/start p_abc123")
        await user.expect("Présence notée pour abc123")
        await user.send("/admin")
        await user.expect("Commande admin")
    finally:
        await component.stop()
    assert seen == ["abc123"]


async def test_start_tells_the_bot_a_blocked_person_is_back(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session)
    person.telegram_blocked = True
    session.add(person)
    session.commit()
    await user.send("/start")
    await user.expect("Bonjour")
    session.expire_all()
    back = session.get(Person, person.id)
    assert back is not None and not back.telegram_blocked
    session.commit()


async def test_lists_show_the_persons_own_state_whatever_the_channel(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    """A registration made on the web shows in the bot: no « S'inscrire » on one's own events."""
    mine = make_event(session, title="Déjà inscrite", starts_at=FIXED_START, capacity=1)
    waiting = make_event(
        session, title="En attente", starts_at=FIXED_START + timedelta(days=1), capacity=1
    )
    other = make_event(session, title="Pas encore", starts_at=FIXED_START + timedelta(days=2))
    user, person = known_user(api, session, "Yasmine")
    stranger = Person(email="autre@exemple.fr", first_name="A", last_name="B")
    session.add(stranger)
    session.commit()
    registrations.register(session, mine.id, person.id, source="web")
    registrations.register(session, waiting.id, stranger.id, source="web")
    registrations.register(session, waiting.id, person.id, source="web")
    session.commit()
    await user.send("/evenements")
    listing = await user.expect("Événements à venir")
    assert "✅ Vous êtes inscrit·e" in listing.html
    assert "liste d'attente (position 1)" in listing.html
    labels = listing.message.button_texts()
    assert "1. 🗂 Inscrit·e : mes inscriptions" in labels
    assert "2. 🗂 En liste d'attente (position 1) : mes inscriptions" in labels
    assert "3. ✅ S'inscrire" in labels
    await user.send(f"/start {other.code}")
    detail = await user.expect("Pas encore")
    assert "✅ S'inscrire" in detail.message.button_texts()


async def test_stale_register_buttons_answer_already_registered(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    """A list shown before registering elsewhere: its old buttons refuse, the new list shows it."""
    event = make_event(session, title="Rencontre du jeudi", starts_at=FIXED_START)
    user, person = known_user(api, session, "Inès")
    await user.send("/evenements")
    stale = await user.expect("Rencontre du jeudi")
    assert "1. ✅ S'inscrire" in stale.message.button_texts()
    registrations.register(session, event.id or 0, person.id or 0, source="web")
    session.commit()
    await user.tap("1. ✅ S'inscrire", on=stale.message)
    await user.expect("Vous êtes déjà inscrit·e à « Rencontre du jeudi »")
    await user.send("/evenements")
    fresh = await user.expect("Événements à venir")
    assert "1. 🗂 Inscrit·e : mes inscriptions" in fresh.message.button_texts()
    assert not any("S'inscrire" in text for text in fresh.message.button_texts())


async def test_cycle_cards_show_the_persons_own_state(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from relais.events import services as events
    from relais.events.schemas import EventInput

    series, sessions = events.create_series(
        session,
        "Cycle laïcité",
        [
            EventInput(title=f"Séance {n}", starts_at=f"0{n}/06/2030 09:30", capacity=1)
            for n in (1, 2)
        ],
        "test",
    )
    user, person = known_user(api, session, "Nadia")
    stranger = Person(email="deja@exemple.fr", first_name="A", last_name="B")
    session.add(stranger)
    session.commit()
    assert person.id is not None and stranger.id is not None
    registrations.register(session, sessions[0].id or 0, person.id, source="web")
    session.commit()
    await user.send(f"/start c_{series.code}")
    partly = await user.expect("Cycle laïcité")
    assert partly.text.count("Vous êtes inscrit·e") == 1
    assert "✅ S'inscrire au cycle" in partly.message.button_texts()
    registrations.register(session, sessions[1].id or 0, stranger.id, source="web")
    registrations.register(session, sessions[1].id or 0, person.id, source="web")
    session.commit()
    await user.tap("✅ S'inscrire au cycle", on=partly.message)  # stale: every session is taken
    await user.expect("Vous êtes déjà inscrit·e")
    await user.send(f"/start c_{series.code}")
    full = await user.expect("Cycle laïcité")
    assert "Vous êtes sur la liste d'attente (position 1)" in full.text
    assert full.message.button_texts()[0] == "🗂 Inscrit·e au cycle : mes inscriptions"
    assert_golden("series_card_own_state", full.html)
    await user.send(f"/start {sessions[0].code}")
    detail = await user.expect("Séance 1")
    assert "🗂 Inscrit·e au cycle : mes inscriptions" in detail.message.button_texts()
