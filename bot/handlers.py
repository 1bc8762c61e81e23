"""The bot's handlers: one small async function per command or button family.

Each one turns the update into an :class:`~bot.actor.Actor`, runs a sync view
(``catalogue``, ``signup``, ``account``) in a worker thread, and shows the
:class:`~bot.texts.Reply` list it returns. Buttons go through the one router
(:mod:`bot.buttons`, its table built by :mod:`bot.parts`); anything unknown,
malformed or out of date answers « bouton expiré ».
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import account, buttons, catalogue, parts, signup, structure
from bot.actor import Actor
from bot.buttons import YES_NO, Route, code, number, optional, word
from bot.catalogue import Filters
from bot.guard import FloodGuard
from bot.outbox import mark_blocked, mark_returned
from bot.texts import Button, Reply, label, page, problem, say
from bot.work import in_thread
from relais.db import session_scope
from relais.errors import DomainError, NotFound
from relais.events import codes, visibility
from relais.events import services as events
from relais.events.visibility import Viewer
from relais.i18n import t
from relais.settings import get_settings
from relais.text import safe_filename

log = logging.getLogger(__name__)
MAX_TEXT = 1000


def menu_buttons() -> list[list[Button]]:
    return [
        [(label("events"), Filters().data(0))],
        [(label("mine"), buttons.data("mine")), (label("profile"), buttons.data("profile"))],
        [(label("help"), buttons.data("help"))],
    ]


def welcome(actor: Actor) -> list[Reply]:
    text = page(
        "welcome.html",
        first_name=actor.first_name,
        organisation=get_settings().organisation_name,
    )
    return [Reply(text, menu_buttons())]


def help_reply() -> list[Reply]:
    return [Reply(page("help.html"), [[(label("menu"), buttons.data("menu"))]])]


def keyboard(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text, url=data)
                if data.startswith(("https://", "http://"))
                else InlineKeyboardButton(text, callback_data=data)
                for text, data in row
            ]
            for row in buttons
        ]
    )


def actor_of(update: Update) -> Actor:
    user = update.effective_user
    assert user is not None
    return Actor(user.id, user.first_name or "")


async def respond(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    """Show replies; ``edit`` ones replace the message whose button was tapped."""
    chat = update.effective_chat
    assert chat is not None
    query = update.callback_query
    tapped = query.message if query is not None and isinstance(query.message, Message) else None
    for reply in replies:
        markup = keyboard(reply.buttons)
        if reply.document is not None:
            name, content = reply.document
            await context.bot.send_document(
                chat.id, document=content, filename=safe_filename(name), caption=reply.html or None
            )
        elif reply.edit and tapped is not None:
            try:
                await tapped.edit_text(reply.html, reply_markup=markup)
            except BadRequest as error:
                if "not modified" not in str(error):
                    raise
        else:
            await context.bot.send_message(chat.id, reply.html, reply_markup=markup)


# -- commands -----------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, and deep links ``/start <event code>`` or ``/start c_<cycle code>``."""
    actor = actor_of(update)
    payload = context.args[0] if context.args else ""
    if payload:
        area = parts.deep_link_for(payload)
        if area is not None:
            handler, code = area
            await handler(update, context, code)
            return
        await respond(update, context, await in_thread(_deep_link, actor, payload))
        return
    await in_thread(_fresh_start, actor)
    await respond(update, context, welcome(actor))


def _fresh_start(actor: Actor) -> None:
    """/start leaves any half-done step, and proves the person no longer blocks the bot."""
    signup.cancel(actor)
    mark_returned(actor.telegram_id)


def _deep_link(actor: Actor, payload: str) -> list[Reply]:
    if not codes.is_valid(payload):
        return [Reply(problem(DomainError("event_not_found", code=payload[:20]))), *welcome(actor)]
    try:
        with session_scope() as session:
            viewer = Viewer(actor.telegram_id)
            if payload.startswith("c_"):
                series = visibility.series_by_code(session, payload[2:], viewer)
                return [catalogue.series_detail(session, series, catalogue.viewer(session, actor))]
            event = visibility.event_by_code(session, payload, viewer)
            return [catalogue.event_detail(session, event, catalogue.viewer(session, actor))]
    except NotFound as error:
        return _series_without_prefix(actor, payload) or [Reply(problem(error)), *welcome(actor)]
    except DomainError as error:
        return [Reply(problem(error)), *welcome(actor)]


def _series_without_prefix(actor: Actor, code: str) -> list[Reply] | None:
    """A cycle's code typed or linked without its ``c_``: still open the cycle."""
    try:
        with session_scope() as session:
            series = visibility.series_by_code(session, code, Viewer(actor.telegram_id))
            return [catalogue.series_detail(session, series, catalogue.viewer(session, actor))]
    except NotFound:
        return None


def _events(actor: Actor, page_number: int = 0, filters: Filters | None = None) -> list[Reply]:
    with session_scope() as session:
        viewer = catalogue.viewer(session, actor)
        return [catalogue.events_page(session, page_number, filters or Filters(), viewer)]


async def list_events(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await respond(update, context, await in_thread(_events, actor_of(update)))


async def my_registrations(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await respond(update, context, await in_thread(account.my_registrations, actor_of(update)))


async def show_profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await respond(update, context, await in_thread(account.profile, actor_of(update)))


async def send_my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await respond(update, context, await in_thread(account.export, actor_of(update)))


async def ask_erasure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await respond(update, context, await in_thread(account.ask_erase, actor_of(update)))


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await respond(update, context, help_reply())


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    had_step = await in_thread(signup.cancel, actor_of(update))
    await respond(update, context, [Reply(say("cancelled" if had_step else "nothing_to_cancel"))])


# -- text, other messages -------------------------------------------------------


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An answer to the current step; outside any step, help rather than silence."""
    assert update.message is not None
    text = update.message.text or ""
    if len(text) > MAX_TEXT:
        await respond(update, context, [Reply(say("invalid.too_long", limit=MAX_TEXT))])
        return
    replies = await in_thread(signup.answer_text, actor_of(update), text)
    await respond(update, context, replies if replies is not None else help_reply())


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, files…: say what is expected."""
    await respond(update, context, [Reply(say("invalid.text_expected")), *help_reply()])


# -- buttons ------------------------------------------------------------------


def _with_session(view: Callable[..., Reply], *args: Any) -> list[Reply]:
    with session_scope() as session:
        return [view(session, *args)]


def _list_route(actor: Actor, args: list[Any]) -> list[Reply]:
    page_number, filters = Filters.parse(args)
    replies = _events(actor, page_number, filters)
    replies[0].edit = True
    return replies


class Stale(ValueError):
    """A button naming something gone or hidden: answered « bouton expiré »."""


def _visible_event(actor: Actor, code: str) -> int:
    """The id of the event a button names by its code; a hidden or unknown one is a stale button."""
    try:
        with session_scope() as session:
            event = visibility.event_by_code(session, code, Viewer(actor.telegram_id))
    except NotFound:
        raise Stale(code) from None
    assert event.id is not None
    return event.id


def _visible_series(actor: Actor, code: str) -> int:
    try:
        with session_scope() as session:
            series = visibility.series_by_code(session, code, Viewer(actor.telegram_id))
    except NotFound:
        raise Stale(code) from None
    assert series.id is not None
    return series.id


def _card_route(actor: Actor, args: list[Any]) -> list[Reply]:
    event_id = _visible_event(actor, args[0])
    with session_scope() as session:
        event = events.get(session, event_id)
        return [catalogue.event_detail(session, event, catalogue.viewer(session, actor))]


def _register_route(actor: Actor, args: list[Any]) -> list[Reply]:
    return signup.register_event(actor, _visible_event(actor, args[0]))


def _cycle_route(actor: Actor, args: list[Any]) -> list[Reply]:
    return signup.register_cycle(actor, _visible_series(actor, args[0]))


def _ask_unsubscribe(actor: Actor, args: list[Any]) -> list[Reply]:
    return account.ask_unsubscribe(actor, args[0])


def _unsubscribe(actor: Actor, args: list[Any]) -> list[Reply]:
    return account.unsubscribe(actor, args[0])


#: The bot's own buttons (the profile's are in ``signup.ROUTES``, other areas' in theirs).
ROUTES = (
    Route("menu", lambda actor, args: welcome(actor)),
    Route("help", lambda actor, args: help_reply()),
    Route("events", _list_route, (number, optional(number), optional(number), optional(word))),
    Route("filters", lambda actor, args: [catalogue.filter_menu()]),
    Route("filters.theme", lambda actor, args: _with_session(catalogue.theme_choices)),
    Route("filters.network", lambda actor, args: _with_session(catalogue.network_choices)),
    Route("filters.dep", lambda actor, args: _with_session(catalogue.departement_choices)),
    Route("event", _card_route, (code,)),
    Route("register", _register_route, (code,)),
    Route("cycle", _cycle_route, (code,)),
    Route("mine", lambda actor, args: account.my_registrations(actor)),
    Route("profile", lambda actor, args: account.profile(actor)),
    Route("cancel", _ask_unsubscribe, (number,)),
    Route("cancel.yes", _unsubscribe, (number,)),
    Route("cancel.no", lambda actor, args: [Reply(say("kept"), edit=True)]),
    Route("erase", lambda actor, args: account.erase(actor, args[0] == "y"), (YES_NO,)),
    Route("type", lambda actor, args: structure.choose(actor, args[0]), (word,)),
    Route("type.change", lambda actor, args: structure.ask_change(actor)),
)  # fmt: skip


def _route(actor: Actor, data: str) -> list[Reply] | None:
    """The replies for a tap, or None when the button is stale, unknown or malformed."""
    try:
        route, args = parts.router().read(data)
        return route.handler(actor, args)
    except (buttons.Stale, signup.Stale, account.Stale, structure.Stale, ValueError, IndexError):
        return None
    except DomainError as error:
        return [Reply(problem(error))]


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    replies = await in_thread(_route, actor_of(update), query.data or "")
    if replies is None:
        await query.answer(say("stale_alert"))
        await respond(
            update, context, [Reply(say("stale"), [[(label("menu"), buttons.data("menu"))]])]
        )
        return
    await query.answer()
    await respond(update, context, replies)


# -- errors ---------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A blocked bot is recorded, not a crash; anything else is logged and apologised for."""
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(context.error, Forbidden):
        if chat is not None:
            await in_thread(mark_blocked, chat.id)
        return
    log.error(t("logs.update_failed"), exc_info=context.error)
    if chat is not None:
        try:
            await context.bot.send_message(chat.id, say("internal_error"))
        except Exception:
            log.warning(t("logs.chat_not_told", chat=chat.id))


COMMANDS = (
    ("start", start),
    ("evenements", list_events),
    ("mes_inscriptions", my_registrations),
    ("profil", show_profile),
    ("mes_donnees", send_my_data),
    ("supprimer_mes_donnees", ask_erasure),
    ("aide", show_help),
    ("annuler", cancel),
)


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler: other areas' first (see :mod:`bot.parts`), then the bot's own."""
    application.add_handler(TypeHandler(Update, FloodGuard()), group=-1)
    for installer in parts.installers():
        installer(application)
    for name, callback in COMMANDS:
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CommandHandler("help", show_help))
    application.add_handler(MessageHandler(filters.COMMAND, show_help))
    application.add_handler(MessageHandler(filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.ALL, on_other_message))
    application.add_error_handler(on_error)
