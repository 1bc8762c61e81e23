"""Refusals, restarts, concurrent registrations for the last seats, the Telegram outbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from bot.application import BotComponent
from bot.models import BotConversation, BotOutboxMessage, OutboxState
from bot.outbox import OutboxSender, queue_message
from bot.plugin import component
from relais.events import services as events
from relais.networks import services as networks
from relais.people.models import Person
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.settings import Settings, load_settings
from relais.timefmt import utcnow
from tests.bot.helpers import assert_golden, known_user
from tests.botapi import BotAPI, ScriptedUser
from tests.factories import make_event, make_person

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _tap_register(user: ScriptedUser, code: str, title: str) -> None:
    await user.send(f"/start {code}")
    await user.expect(title)
    await user.tap("✅ S'inscrire")


@SQLITE_ONLY
async def test_every_refusal_reason_is_told(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session)
    other = make_person(session)
    network = networks.create(session, "Réseau des médiateurs – 93", "test", departement_code="93")
    session.commit()
    full = make_event(session, title="Complet sans attente", capacity=1, waitlist_enabled=False)
    registrations.register(session, full.id or 0, other.id or 0, source="test")
    closed = make_event(session, title="Inscriptions closes")
    deadline = make_event(
        session, title="Date limite passée", registration_deadline=utcnow() - timedelta(hours=1)
    )
    reserved = make_event(
        session, title="Réservé aux délégués", audience_profiles=["Délégué du préfet"]
    )
    members = make_event(
        session, title="Réservé au réseau", networks=[network.code], members_only=True
    )
    twice = make_event(session, title="Déjà inscrit")
    waiting = make_event(session, title="Déjà en attente", capacity=1)
    registrations.register(session, waiting.id or 0, other.id or 0, source="test")
    session.commit()
    cases = [
        (full, "est complet et n'a pas de liste d'attente"),
        (closed, "sont closes"),
        (deadline, "La date limite d'inscription"),
        (reserved, "est réservée aux profils suivants : Délégué du préfet"),
        (members, "est réservée aux membres du réseau"),
        (twice, "Vous êtes déjà inscrit·e"),
        (waiting, "déjà sur la liste d'attente"),
    ]
    for event, _expected in cases:
        await user.send(f"/start {event.code}")
        card = await user.expect(event.title)
        if event is reserved:
            assert "🔒 Réservé aux profils : Délégué du préfet" in card.text
        if event is members:
            assert "🔒 Réservé aux membres :" in card.text
    events.set_registrations_open(session, closed.id or 0, False, "test")
    # Registered elsewhere (the web) after the cards were shown: their old button still answers.
    registrations.register(session, twice.id or 0, person.id or 0, source="web")
    registrations.register(session, waiting.id or 0, person.id or 0, source="web")
    session.commit()
    for event, expected in cases:
        await user.tap("✅ S'inscrire", on=_card_of(api, user, event.title))
        refusal = await user.expect(expected)
        assert refusal.text.startswith("⚠️")
        if event is reserved:
            assert_golden("refused_reserved", refusal.html)


def _card_of(api: BotAPI, user: ScriptedUser, title: str):  # type: ignore[no-untyped-def]
    return next(
        m for m in api.messages.values() if m.chat_id == user.id and m.text.startswith(title)
    )


@SQLITE_ONLY
async def test_started_cancelled_and_draft_events_refuse(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, _ = known_user(api, session)
    started = make_event(session, title="Déjà commencé", starts_at=utcnow() - timedelta(minutes=30))
    draft = make_event(session, title="Brouillon", status="draft")
    cancelled = make_event(session, title="Annulé")
    for event in (started, cancelled):
        await user.send(f"/start {event.code}")
        await user.expect(event.title)
    await user.send(f"/start {draft.code}")
    await user.expect(f"Aucun événement avec le code « {draft.code} »")
    events.cancel(session, cancelled.id or 0, "salle indisponible", "test")
    session.commit()
    await user.tap("✅ S'inscrire", on=_card_of(api, user, "Déjà commencé"))
    await user.expect("a déjà commencé")
    await user.tap("✅ S'inscrire", on=_card_of(api, user, "Annulé"))
    await user.expect("est annulé")
    shown = " ".join(m.text for m in api.messages.values() if m.chat_id == user.id)
    assert "Brouillon" not in shown


@SQLITE_ONLY
async def test_a_restart_in_the_middle_of_a_conversation_loses_nothing(
    api: BotAPI, bot_settings: Settings, session: Session
) -> None:
    event = make_event(session, title="Rencontre après redémarrage")
    user = api.user("Jules")
    first = BotComponent(bot_settings)
    await first.start()
    await _tap_register(user, event.code, "Rencontre après redémarrage")
    await user.expect("nom")
    await user.send("Bernard")
    await user.expect("prénom")
    await first.stop()
    step = session.exec(select(BotConversation).where(BotConversation.telegram_id == user.id)).one()
    assert step.step == "first_name"
    session.commit()
    second = BotComponent(bot_settings)
    await second.start()
    try:
        await user.send("Jules")
        await user.expect("e-mail")
        await user.send("jules.bernard@exemple.fr")
        await user.expect("bonne adresse")
        await user.tap("Oui, c'est la bonne")
        await user.expect("structure")
        await user.send("Centre social")
        await user.expect("type de structure")
        await user.tap("Association")
        await user.expect("profil professionnel")
        await user.tap("Coordonnateur PRE")
        await user.expect("département")
        await user.tap("01 Ain")
        await user.expect("téléphone")
        await user.tap("Passer")
        await user.expect("Acceptez-vous")
        await user.tap("J'accepte")
        await user.expect("Inscription confirmée")
    finally:
        await second.stop()
    person = session.exec(select(Person).where(Person.telegram_id == user.id)).one()
    assert person.last_name == "Bernard"


@SQLITE_ONLY
async def test_cancel_abandons_and_refusing_consent_keeps_nothing(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(session, title="Rencontre abandonnée")
    user = api.user("Karim")
    await _tap_register(user, event.code, "Rencontre abandonnée")
    await user.expect("nom")
    await user.send("/annuler")
    await user.expect("C'est abandonné")
    await user.send("Dupont")
    await user.expect("Ce que je sais faire")
    await user.tap("✅ S'inscrire", on=_card_of(api, user, "Rencontre abandonnée"))
    await sign_up_until_consent(user)
    await user.tap("Je refuse")
    await user.expect("Sans votre accord")
    assert session.exec(select(Person).where(Person.telegram_id == user.id)).first() is None
    assert session.exec(select(BotConversation)).all() == []


async def sign_up_until_consent(user: ScriptedUser) -> None:
    await user.expect("nom")
    for answer, next_question in (
        ("Dupont", "prénom"), ("Karim", "e-mail"), ("karim@exemple.fr", "bonne adresse"),
    ):  # fmt: skip
        await user.send(answer)
        await user.expect(next_question)
    await user.tap("Oui, c'est la bonne")
    await user.expect("structure")
    await user.send("Association Horizon")
    await user.expect("type de structure")
    await user.tap("Autre")
    await user.expect("profil professionnel")
    await user.tap("Habitant")
    await user.expect("département")
    await user.send("974")
    await user.expect("téléphone")
    await user.tap("Passer")
    await user.expect("Acceptez-vous")


async def test_twenty_people_for_five_seats_never_overbook(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(session, title="Dernières places", capacity=5)
    users = [known_user(api, session, f"Personne{n}")[0] for n in range(20)]
    for user in users:
        await user.send(f"/start {event.code}")
    for user in users:
        await user.expect("Dernières places")
    await asyncio.gather(*(user.tap("✅ S'inscrire") for user in users))
    outcomes = await asyncio.gather(
        *(user.expect("Dernières places", timeout=30) for user in users)
    )
    confirmed = sum("Inscription confirmée" in o.text for o in outcomes)
    waiting = sorted(
        int(o.text.split("position ")[1].split(".")[0]) for o in outcomes if "position" in o.text
    )
    assert confirmed == 5 and waiting == list(range(1, 16))
    session.expire_all()
    counts = events.counts(session, event.id or 0)
    assert (counts.confirmed, counts.waitlisted) == (5, 15)


@SQLITE_ONLY
async def test_event_changes_and_cancellation_reach_registrants(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from datetime import UTC, datetime

    event = make_event(
        session, title="Rencontre qui bouge", venue="Évry",
        starts_at=datetime(2030, 6, 4, 7, 0, tzinfo=UTC),
    )  # fmt: skip
    user, person = known_user(api, session)
    registrations.register(session, event.id or 0, person.id or 0, source="test")
    session.commit()
    events.update(session, event.id or 0, {"venue": "Corbeil-Essonnes"}, "test")
    session.commit()
    changed = await user.expect("Changement")
    assert "Corbeil-Essonnes" in changed.text
    assert_golden("event_changed", changed.html)
    events.update(session, event.id or 0, {"capacity": 50}, "test")
    events.cancel(session, event.id or 0, "grève des transports", "test")
    session.commit()
    cancelled = await user.expect("est annulé")
    assert "grève des transports" in cancelled.text
    assert_golden("event_cancelled", cancelled.html)
    assert not any("Changement" in o.text for o in user.drain())


@SQLITE_ONLY
async def test_outbox_paces_retries_429_and_marks_blocked_people(
    api: BotAPI, bot_settings: Settings, session: Session
) -> None:
    from telegram import Bot

    from tests.botapi import TOKEN

    reader, reader_person = known_user(api, session, "Lina")
    blocker, blocker_person = known_user(api, session, "Marc")
    for number in range(3):
        assert queue_message(
            session,
            person_id=reader_person.id,
            text_html=f"<b>Rappel {number}</b>",
            idempotency_key=f"t:{number}",
        )
    assert not queue_message(
        session, person_id=reader_person.id, text_html="double", idempotency_key="t:0"
    )
    queue_message(
        session, person_id=blocker_person.id, text_html="Bonjour", idempotency_key="t:blocked"
    )
    queue_message(
        session,
        chat_id=reader.id,
        text_html="Plus tard",
        idempotency_key="t:later",
        due_at=utcnow() + timedelta(hours=1),
    )
    session.commit()
    api.throttle(reader.id, retry_after=1)
    api.block(blocker.id)
    async with Bot(TOKEN, base_url=api.base_url) as telegram_bot:
        sender = OutboxSender(telegram_bot, idle=0.2)
        await sender.start()
        try:
            for number in range(3):
                await reader.expect(f"Rappel {number}")
        finally:
            await sender.stop()
    sends = api.calls_to("sendMessage", reader.id)
    assert [call.status for call in sends] == [429, 200, 200, 200]
    assert sends[1].at - sends[0].at >= 1.0
    assert all(later.at - earlier.at >= 0.95 for earlier, later in itertools.pairwise(sends[1:]))
    session.expire_all()
    rows = {row.idempotency_key: row for row in session.exec(select(BotOutboxMessage))}
    assert rows["t:0"].state == OutboxState.SENT and rows["t:later"].state == OutboxState.PENDING
    assert rows["t:blocked"].state == OutboxState.BLOCKED
    blocked = session.get(Person, blocker_person.id)
    assert blocked is not None and blocked.telegram_blocked
    assert (
        session.exec(
            select(Registration).where(col(Registration.status) == RegistrationStatus.CONFIRMED)
        ).all()
        == []
    )


@SQLITE_ONLY
async def test_network_errors_and_429_on_replies_are_retried(
    api: BotAPI, bot: BotComponent
) -> None:
    user = api.user("Olga")
    api.break_next(user.id, times=2)
    await user.send("/aide")
    await user.expect("Ce que je sais faire")
    api.throttle(user.id, retry_after=1)
    await user.send("/aide")
    await user.expect("Ce que je sais faire")
    statuses = [call.status for call in api.calls_to("sendMessage", user.id)]
    assert statuses == [502, 502, 200, 429, 200]


@SQLITE_ONLY
async def test_a_person_who_blocked_the_bot_does_not_crash_it(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session)
    api.block(user.id)
    await user.send("/aide")
    other = api.user("Nora")
    await other.send("/aide")
    await other.expect("Ce que je sais faire")
    for _ in range(50):
        session.expire_all()
        if session.get(Person, person.id).telegram_blocked:  # type: ignore[union-attr]
            break
        session.commit()
        await asyncio.sleep(0.05)
    assert session.get(Person, person.id).telegram_blocked  # type: ignore[union-attr]


def test_without_a_token_the_bot_stays_off_and_says_how_to_turn_it_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert component(load_settings(telegram_bot_token="")) is None
    line = capsys.readouterr().err.strip()
    assert "TELEGRAM_BOT_TOKEN" in line and "@BotFather" in line and "\n" not in line


@SQLITE_ONLY
async def test_webhook_mode_receives_updates_and_refuses_strangers(
    api: BotAPI, bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import httpx

    from relais.settings import PUBLIC_DEVELOPMENT_KEY, get_settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", f"http://127.0.0.1:{port}/telegram")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_PORT", str(port))
    get_settings.cache_clear()
    component = BotComponent(get_settings())
    await component.start()
    try:
        assert api.webhook is not None and api.webhook[0].endswith("/telegram")
        user = api.user("Paul")
        await user.send("/aide")
        await user.expect("Ce que je sais faire")
        public = hmac.new(PUBLIC_DEVELOPMENT_KEY.encode(), b"telegram-webhook", hashlib.sha256)
        async with httpx.AsyncClient() as client:
            forged = await client.post(api.webhook[0], json={"update_id": 999})
            from_source = await client.post(
                api.webhook[0], json={"update_id": 998},
                headers={"X-Telegram-Bot-Api-Secret-Token": public.hexdigest()},
            )  # fmt: skip
        assert forged.status_code == 403 and api.webhook_statuses == [200]
        assert from_source.status_code == 403, "the secret must not derive from a public key"
        assert not api.calls_to("getUpdates")
    finally:
        await component.stop()


@SQLITE_ONLY
async def test_telegram_down_at_boot_is_retried_and_a_refused_token_stops_only_the_bot(
    api: BotAPI, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    api.down = True
    component = BotComponent(bot_settings)
    component.retry_delay = 0.1
    await component.start()
    try:
        assert component.application is None
        assert "injoignable" in caplog.text
        api.down = False
        user = api.user("Quentin")
        await user.send("/aide")
        await user.expect("Ce que je sais faire")
    finally:
        await component.stop()
    refused = BotComponent(
        load_settings(telegram_bot_token="999:WRONG", telegram_api_base_url=api.base_url)
    )
    await refused.start()
    assert refused.application is None and refused.connecting is None
    assert "refuse le jeton" in caplog.text
    await refused.stop()
