"""A short message to a network's members on Telegram: typed, previewed, confirmed, paced.

The messages are rows of the bot's outbox (``bot.outbox``), which sends them
at Telegram's pace (1 per second per chat, about 30 per second overall); the
coordinator gets the final count of delivered and blocked once none is pending.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select
from telegram import Bot

from bot import conversation
from bot.actor import Actor
from bot.admin.common import (
    AdminRoute,
    AdminStep,
    Result,
    Watch,
    ask,
    current,
    data,
    label,
    page,
    say,
)
from bot.admin.menu import admin_networks
from bot.conversation import State
from bot.models import BotOutboxMessage, OutboxState
from bot.outbox import queue_message, wake
from bot.texts import Button, Reply, short
from bot.work import in_thread
from relais import identifiers, signals
from relais.db import session_scope
from relais.invitations import services as invitations
from relais.invitations.models import Broadcast
from relais.networks import services as networks
from relais.roles import services as roles
from relais.roles.services import Action
from relais.settings import get_settings

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
GIVE_UP_SECONDS = 6 * 3600
_following: set[asyncio.Task[None]] = set()


def key_prefix(broadcast_id: int) -> str:
    return f"admin:broadcast:{broadcast_id}:"


def choose_network(session: Session, actor: Actor, args: list[str]) -> Result:
    rows: list[list[Button]] = [
        [(short(network.name), data("broadcast_to", network.id))]
        for network in admin_networks(session, actor)
    ]
    if not rows:
        return [Reply(say("no_networks"))]
    rows.append([(label("back"), data("menu"))])
    return [Reply(say("broadcast_which"), rows)]


def ask_text(session: Session, actor: Actor, args: list[str]) -> Result:
    network_id = identifiers.number(args[0])
    roles.require(session, actor.telegram_id, Action.BROADCAST, network_id=network_id)
    network = networks.lookup(session, str(network_id))
    count = len(invitations.telegram_recipients(session, network_id))
    return [
        ask(
            session,
            actor,
            "bc",
            say("broadcast_ask", network=network.name, count=count),
            network_id=network_id,
        )
    ]


def typed_text(session: Session, actor: Actor, state: State, text: str) -> Result:
    answers = current(session, actor, "bc")
    network_id = int(answers["network_id"])
    roles.require(session, actor.telegram_id, Action.BROADCAST, network_id=network_id)
    clean = invitations.clean_broadcast_text(text)
    network = networks.lookup(session, str(network_id))
    count = len(invitations.telegram_recipients(session, network_id))
    conversation.save(
        session, actor.telegram_id, State("a.bc.confirm", {"network_id": network_id, "text": clean})
    )
    rows = [
        [(label("send_broadcast", count=count), data("broadcast_send", network_id))],
        [(label("rewrite"), data("broadcast_to", network_id)), (label("abandon"), data("abandon"))],
    ]
    preview = say("broadcast_preview", network=network.name, count=count)
    return [Reply(preview), Reply(message_html(clean), rows)]


def confirm(session: Session, actor: Actor, args: list[str]) -> Result:
    answers = current(session, actor, "bc.confirm")
    network_id = int(answers["network_id"])
    if str(network_id) != args[0]:
        raise ValueError(args[0])
    roles.require(session, actor.telegram_id, Action.BROADCAST, network_id=network_id)
    row = invitations.broadcast(
        session, network_id, answers["text"], roles.actor(actor.telegram_id)
    )
    conversation.clear(session, actor.telegram_id)
    assert row.id is not None
    return [Reply(say("broadcast_queued", count=row.recipients)), Watch(row.id)]


def message_html(text: str) -> str:
    return page("broadcast.html", text=text, organisation=get_settings().organisation_name)


def on_broadcast(session: Session, requested: signals.BroadcastRequested) -> None:
    row = session.get(Broadcast, requested.broadcast_id)
    if row is None:
        return
    text = message_html(row.text)
    for person in invitations.telegram_recipients(session, requested.network_id):
        queue_message(
            session,
            person_id=person.id,
            text_html=text,
            idempotency_key=f"{key_prefix(requested.broadcast_id)}{person.id}",
        )


@dataclass(frozen=True)
class Progress:
    delivered: int
    blocked: int
    failed: int
    pending: int


def progress(broadcast_id: int) -> Progress:
    with session_scope() as session:
        rows = session.exec(
            select(BotOutboxMessage.state, func.count())
            .where(col(BotOutboxMessage.idempotency_key).startswith(key_prefix(broadcast_id)))
            .group_by(BotOutboxMessage.state)
        ).all()
    found = {state: number for state, number in rows}
    return Progress(
        found.get(OutboxState.SENT, 0),
        found.get(OutboxState.BLOCKED, 0),
        found.get(OutboxState.FAILED, 0),
        found.get(OutboxState.PENDING, 0) + found.get(OutboxState.SENDING, 0),
    )


async def _follow(bot: Bot, chat_id: int, broadcast_id: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GIVE_UP_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        done = await in_thread(progress, broadcast_id)
        if done.pending == 0:
            text = say(
                "broadcast_done", delivered=done.delivered, blocked=done.blocked, failed=done.failed
            )
            await bot.send_message(chat_id, text)
            return


def follow(bot: Bot, chat_id: int, broadcast_id: int) -> None:
    """Report to the coordinator when the last message of the broadcast left."""
    task = asyncio.create_task(
        _follow(bot, chat_id, broadcast_id), name=f"broadcast-{broadcast_id}"
    )
    _following.add(task)
    task.add_done_callback(_following.discard)


def _wake(_event: object) -> None:
    wake()


def subscribe() -> None:
    signals.on(signals.BroadcastRequested, on_broadcast)
    signals.after_commit(signals.BroadcastRequested, _wake)


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("broadcast", Action.BROADCAST, choose_network),
    AdminRoute("broadcast_to", Action.BROADCAST, ask_text),
    AdminRoute("broadcast_send", Action.BROADCAST, confirm),
)
STEPS = (AdminStep("bc", Action.BROADCAST, typed_text),)
