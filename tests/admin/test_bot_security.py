"""Nobody but a coordinator gets anything from the admin tools, checked at every tap."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.admin import handlers
from bot.admin.handlers import table
from bot.application import BotComponent
from bot.models import BotConversation
from relais.audit import AuditEntry
from relais.events.models import Event
from relais.roles import services as roles
from relais.settings import get_settings
from tests.admin.conftest import coordinator, make_network
from tests.botapi import BotAPI, ScriptedUser
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REFUSAL = "Commande réservée aux coordinateurs."


async def forge(api: BotAPI, user: ScriptedUser, callback_data: str) -> None:
    """A callback the user's client never received: crafted by hand."""
    query_id = str(next(api.query_ids))
    api.query_users[query_id] = user.id
    await api.push_update(
        {
            "callback_query": {
                "id": query_id, "from": user.as_dict(), "chat_instance": str(user.id),
                "data": callback_data,
                "message": {
                    "message_id": 999_999, "date": 0, "chat": user.chat(),
                    "text": "menu", "from": {"id": 1, "is_bot": True, "first_name": "Relais"},
                },
            }
        }
    )  # fmt: skip


async def test_stranger_gets_the_same_refusal_for_everything(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    network = make_network(session, "Réseau des médiateurs – 93", members=2)
    event = make_event(session, title="Rencontre confidentielle", networks=[network.code])
    stranger = api.user("Sam")
    for command in handlers.COMMANDS:
        await stranger.send(f"/{command}")
        assert (await stranger.next_message()).text == REFUSAL
    for name in [*table().routes, "zzz"]:
        await forge(api, stranger, f"a.{name}:{event.id}:{network.id}:1")
        assert (await stranger.next_message()).text == REFUSAL
    shown = " ".join(m.text for m in api.messages.values() if m.chat_id == stranger.id)
    assert "confidentielle" not in shown and "médiateurs" not in shown
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "admin.denied")).all()
    assert len(denied) == len(handlers.COMMANDS) + len(table().routes) + 1
    assert {json.loads(entry.details)["attempted"] for entry in denied} >= {
        "/admin",
        "event",
        "broadcast_send",
    }
    session.commit()


async def test_settings_administrator_opens_the_menu(
    api: BotAPI, bot: BotComponent, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    boss = api.user("Dominique", "Directrice")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", f"42, {boss.id}")
    get_settings.cache_clear()
    await boss.send("/admin")
    menu = await boss.expect("Espace coordinateurs")
    assert "📣 Diffuser un message" in menu.message.button_texts()


async def test_revoked_in_the_middle_of_a_flow(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    claire = coordinator(api, session)
    await claire.send("/nouvel_evenement")
    await claire.expect("Titre de l'événement")
    await claire.send("Rencontre du jeudi")
    themes = await claire.expect("Thématique")
    roles.revoke(session, claire.id, "cli")
    session.commit()
    await claire.tap("Santé", on=themes.message)
    assert (await claire.next_message()).text == REFUSAL
    await claire.send("une réponse tapée")
    reply = await claire.next_message()
    assert REFUSAL not in reply.text  # the admin step was cleared: the bot's help answers
    assert session.get(BotConversation, claire.id) is None
    assert session.exec(select(Event)).all() == []
    session.commit()


async def test_limited_coordinator_sees_and_touches_only_their_networks(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    mine = make_network(session, "Réseau des médiateurs – 93")
    other = make_network(session, "Réseau des référents PRE – 91")
    own = make_event(session, title="Rencontre 93", networks=[mine.code])
    foreign = make_event(session, title="Rencontre 91", networks=[other.code])
    claire = coordinator(api, session, networks=[mine.code])
    await claire.send("/admin")
    await claire.expect("Espace coordinateurs")
    await claire.tap("📅 Événements")
    listing = await claire.expect("Choisissez")
    titles = " ".join(listing.message.button_texts())
    assert "Rencontre 93" in titles and "Rencontre 91" not in titles
    for name in (
        "event",
        "event_edit",
        "registrations",
        "registrations_export",
        "invite",
        "event_cancel",
        "event_copy",
    ):
        await forge(api, claire, f"a.{name}:{foreign.id}")
        assert (await claire.next_message()).text == REFUSAL
    await forge(api, claire, f"a.invite_preview:{own.id}:{other.id}")
    assert (await claire.next_message()).text == REFUSAL
    await forge(api, claire, f"a.broadcast_to:{other.id}")
    assert (await claire.next_message()).text == REFUSAL
    await forge(api, claire, f"a.event:{own.id}")
    assert "Rencontre 93" in (await claire.next_message()).text
