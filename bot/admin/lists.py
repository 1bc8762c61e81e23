"""The reference lists from the bot: types of structure, profiles, themes (``relais reference``).

The lists are shared by every network, so a coordinator limited to some
networks may not change them (see :data:`relais.roles.services.WHOLE_CRPV_ONLY`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot import conversation
from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, ask, current, data, label, say
from bot.conversation import State
from bot.texts import Button, Reply, short
from relais import identifiers
from relais.i18n import t
from relais.reference import editing
from relais.roles.services import Action


def choose_list(session: Session, actor: Actor, args: list[str]) -> Result:
    rows: list[list[Button]] = [
        [(t(f"cli.reference.titles.{key}"), data("list", key))] for key in editing.LISTS
    ]
    rows.append([(label("back"), data("menu"))])
    return [Reply(say("lists"), rows)]


def _entry(session: Session, key: str, raw_id: str) -> Any:
    chosen = editing.reference_list(key)
    entry = session.get(chosen.model, identifiers.number(raw_id))
    if entry is None:
        raise ValueError(raw_id)
    return entry


def show_list(session: Session, actor: Actor, args: list[str]) -> Result:
    key = args[0]
    chosen = editing.reference_list(key)
    rows: list[list[Button]] = [
        [(label("entry" if entry.active else "entry_retired", name=short(entry.name, 40), uses=uses),
          data("list_entry", key, entry.id))]
        for entry, uses in editing.entries(session, chosen)
    ]  # fmt: skip
    rows.append([(label("add_entry"), data("list_add", key))])
    rows.append([(label("back"), data("lists"))])
    return [Reply(say("list", title=t(f"cli.reference.titles.{key}")), rows)]


def show_entry(session: Session, actor: Actor, args: list[str]) -> Result:
    key, entry = args[0], _entry(session, args[0], args[1])
    toggle = "retire_entry" if entry.active else "offer_entry"
    rows = [
        [(label("rename_entry"), data("list_rename", key, entry.id))],
        [(label(toggle), data("list_toggle", key, entry.id))],
        [(label("back"), data("list", key))],
    ]
    state = say("entry_offered" if entry.active else "entry_retired")
    return [Reply(say("entry", name=entry.name, state=state), rows)]


def toggle_entry(session: Session, actor: Actor, args: list[str]) -> Result:
    entry = _entry(session, args[0], args[1])
    editing.set_active(session, args[0], entry.name, not entry.active, actor.audit)
    return show_entry(session, actor, args)


def ask_new_entry(session: Session, actor: Actor, args: list[str]) -> Result:
    editing.reference_list(args[0])
    return [ask(session, actor, "list_add", say("ask_entry"), key=args[0])]


def add_entry(session: Session, actor: Actor, state: State, text: str) -> Result:
    key = current(session, actor, "list_add")["key"]
    entry = editing.add(session, key, text, actor.audit)
    conversation.clear(session, actor.telegram_id)
    return [Reply(say("entry_added", name=entry.name)), *show_list(session, actor, [key])]


def ask_new_name(session: Session, actor: Actor, args: list[str]) -> Result:
    entry = _entry(session, args[0], args[1])
    question = say("ask_new_name", name=entry.name)
    return [ask(session, actor, "list_rename", question, key=args[0], entry_id=entry.id)]


def rename_entry(session: Session, actor: Actor, state: State, text: str) -> Result:
    kept = current(session, actor, "list_rename")
    entry = _entry(session, kept["key"], str(kept["entry_id"]))
    previous = entry.name
    editing.rename(session, kept["key"], previous, text, actor.audit)
    conversation.clear(session, actor.telegram_id)
    reply = Reply(say("entry_renamed", old=previous, name=entry.name))
    return [reply, *show_list(session, actor, [kept["key"]])]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("lists", Action.REFERENCE, choose_list),
    AdminRoute("list", Action.REFERENCE, show_list),
    AdminRoute("list_entry", Action.REFERENCE, show_entry),
    AdminRoute("list_toggle", Action.REFERENCE, toggle_entry),
    AdminRoute("list_add", Action.REFERENCE, ask_new_entry),
    AdminRoute("list_rename", Action.REFERENCE, ask_new_name),
)
STEPS = (
    AdminStep("list_add", Action.REFERENCE, add_entry),
    AdminStep("list_rename", Action.REFERENCE, rename_entry),
)
