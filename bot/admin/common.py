"""Routing admin buttons, commands and typed answers, with the role checked at each use.

Callback data is ``a.<route>:<args>``; a conversation step is ``a.<step>``
(in ``bot_conversation``). Each area lists its routes and steps (``ROUTES``,
``STEPS``: :class:`AdminRoute`, :class:`AdminStep`), and
:mod:`bot.admin.handlers` joins them from its list of areas; nothing registers
itself at import time. Each route and step declares the
:class:`~relais.roles.services.Action` it needs; the dispatcher calls
:func:`relais.roles.services.require` inside the unit of work that runs it, so
a role revoked a second ago stops the very next tap. A refusal is one sentence
that reveals nothing and is written to the audit log; the abandoned
conversation step is cleared.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot import buttons, conversation
from bot.actor import Actor
from bot.conversation import State
from bot.texts import Button, Reply, Words, problem
from relais.db import session_scope
from relais.errors import DomainError
from relais.i18n import t
from relais.roles import services as roles
from relais.roles.services import Action, PermissionDenied

log = logging.getLogger(__name__)
PREFIX = "a."
MAX_TEXT = 4000


class Stale(Exception):
    """A button or an answer that no longer matches where the conversation is."""


@dataclass(frozen=True)
class Watch:
    """Ask the handler to follow a broadcast and report its final count to the admin."""

    broadcast_id: int


Result = list[Reply | Watch]
RouteFn = Callable[[Session, Actor, list[str]], Result]
StepFn = Callable[[Session, Actor, State, str], Result]


@dataclass(frozen=True)
class AdminRoute:
    """A button ``a.<name>:…``: the action it needs and what a tap does."""

    name: str
    action: Action
    run: RouteFn


@dataclass(frozen=True)
class AdminStep:
    """A typed answer expected at conversation step ``a.<name>``."""

    name: str
    action: Action
    run: StepFn


Entry = AdminRoute | AdminStep


@dataclass(frozen=True)
class Registry:
    """The admin tools' buttons by name and typed steps by conversation step."""

    routes: dict[str, AdminRoute]
    steps: dict[str, AdminStep]


def registry(routes: Iterable[AdminRoute], steps: Iterable[AdminStep]) -> Registry:
    """The table of the areas' lists (:data:`bot.admin.handlers.AREAS`); a name used twice is a bug."""
    by_name: dict[str, AdminRoute] = {}
    for route in routes:
        if route.name in by_name:
            raise ValueError(f"admin route {route.name} declared twice")
        by_name[route.name] = route
    by_step: dict[str, AdminStep] = {}
    for step in steps:
        if PREFIX + step.name in by_step:
            raise ValueError(f"admin step {step.name} declared twice")
        by_step[PREFIX + step.name] = step
    return Registry(by_name, by_step)


def table() -> Registry:
    """The admin tools' table, built by :mod:`bot.admin.handlers` from its list of areas."""
    from bot.admin.handlers import table as built

    return built()


def data(name: str, *args: object) -> str:
    """Callback data for route ``name``, built like every button's (:func:`bot.buttons.data`)."""
    return buttons.data(PREFIX + name, *args)


# -- words --------------------------------------------------------------------


#: The admin tools' words: ``admin.bot.*`` in ``messages/admin.yaml``, ``templates/bot/admin/``.
ADMIN = Words("admin.bot", "admin.bot.buttons", "bot/admin")
say = ADMIN.say
label = ADMIN.label
page = ADMIN.page


def forbidden() -> Result:
    return [Reply(escape(t("errors.admin_forbidden"), quote=False))]


def back(route_data: str, key: str = "back") -> list[Button]:
    return [(label(key), route_data)]


def ask(session: Session, actor: Actor, name: str, question: str, **kept: Any) -> Reply:
    """Save step ``a.<name>`` (with ``kept`` data) and ask its question."""
    conversation.save(session, actor.telegram_id, State(PREFIX + name, dict(kept)))
    return Reply(question, [[(label("abandon"), data("abandon"))]])


def current(session: Session, actor: Actor, name: str) -> dict[str, Any]:
    """The data of step ``a.<name>``, or Stale when the conversation is elsewhere."""
    state = conversation.load(session, actor.telegram_id)
    if state is None or state.step != PREFIX + name:
        raise Stale
    return state.data


# -- dispatch -----------------------------------------------------------------


def _refused(actor: Actor, what: str) -> Result:
    roles.record_denied(actor.telegram_id, what)
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is not None and state.step.startswith(PREFIX):
            conversation.clear(session, actor.telegram_id)
    return forbidden()


def _run(actor: Actor, what: str, entry: Entry | None, *args: Any) -> Result | None:
    try:
        with session_scope() as session:
            if entry is None:
                roles.require(session, actor.telegram_id, Action.MENU)
                return None
            roles.require(session, actor.telegram_id, entry.action)
            return entry.run(session, actor, *args)
    except PermissionDenied:
        return _refused(actor, what)
    except (Stale, ValueError, IndexError, KeyError):
        return None
    except DomainError as error:
        return [Reply(problem(error))]


def dispatch(actor: Actor, callback_data: str) -> Result | None:
    """The replies for an admin button; None when it is stale or unknown (to an admin)."""
    name, *args = callback_data[len(PREFIX) :].split(":")
    return _run(actor, name, table().routes.get(name), args)


def answer_text(actor: Actor, text: str) -> Result | None:
    """A typed answer at an admin step; None when no admin step is going on."""
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
    if state is None or not state.step.startswith(PREFIX):
        return None
    entry = table().steps.get(state.step)
    if entry is None:
        refused = _run(actor, state.step, None)
        return refused if refused is not None else [Reply(say("use_buttons"))]
    if len(text) > MAX_TEXT:
        return [Reply(say("too_long", limit=MAX_TEXT))]
    result = _run(actor, state.step, entry, state, text.strip())
    return result if result is not None else [Reply(say("stale"))]


def command(actor: Actor, typed: str, name: str, args: list[str]) -> Result:
    """The slash command ``typed``, mapped to the route ``name`` (``/admin`` → the menu)."""
    result = _run(actor, f"/{typed}", table().routes.get(name), args)
    return result if result is not None else [Reply(say("stale"))]


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, result: Result) -> None:
    """Send the replies; start following a broadcast when asked to."""
    from bot.admin.broadcast import follow
    from bot.handlers import respond

    replies = [item for item in result if isinstance(item, Reply)]
    await respond(update, context, replies)
    chat = update.effective_chat
    for item in result:
        if isinstance(item, Watch) and chat is not None:
            follow(context.bot, chat.id, item.broadcast_id)
