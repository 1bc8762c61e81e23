"""Changing an event: a field at a time, publishing, closing, cancelling with a reason, copying.

Changes go through :func:`relais.events.services.update`, whose ``EventChanged``
makes the mail area send the updated invitation and the bot a message to
everyone registered; cancelling emits ``EventCancelled`` the same way.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import conversation
from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, ask, current, data, label, say
from bot.admin.event_create import parse_minutes
from bot.admin.menu import card_reply, checked_event
from bot.conversation import State
from bot.texts import Button, Reply, problem
from relais.errors import InvalidInput
from relais.events import changes
from relais.events import services as events
from relais.i18n import t
from relais.roles import services as roles
from relais.roles.services import Action
from relais.timefmt import parse_local

FIELDS = ("title", "start", "duration", "venue", "visio_url", "capacity", "deadline", "description")


def choose_field(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.EVENT_EDIT, args[0])
    rows: list[list[Button]] = [
        [
            (label(f"fields.{a}"), data("event_edit_field", event.id, a)),
            (label(f"fields.{b}"), data("event_edit_field", event.id, b)),
        ]
        for a, b in zip(FIELDS[::2], FIELDS[1::2], strict=True)
    ]
    open_key = "close" if event.registrations_open else "reopen"
    rows.append(
        [
            (
                label(open_key),
                data("event_open_close", event.id, 0 if event.registrations_open else 1),
            )
        ]
    )
    rows.append([(label("back"), data("event", event.id))])
    return [Reply(say("edit_which", title=event.title), rows)]


def ask_value(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.EVENT_EDIT, args[0])
    field = args[1]
    if field not in FIELDS:
        raise ValueError(field)
    return [
        ask(
            session,
            actor,
            "edit",
            say(f"edit_ask.{field}", title=event.title),
            event_id=event.id,
            field=field,
        )
    ]


def _edit_for(field: str, text: str) -> changes.Edit:
    if field == "duration":
        return changes.Edit(duration_minutes=parse_minutes(text))
    if field == "start":
        return changes.Edit(start=text)
    if field == "deadline":
        return changes.Edit(deadline="" if text.lower() in ("aucune", "0", "-") else text)
    edit = changes.Edit()
    setattr(edit, field, text)
    return edit


def typed_value(session: Session, actor: Actor, state: State, text: str) -> Result:
    answers = current(session, actor, "edit")
    event = checked_event(session, actor, Action.EVENT_EDIT, str(answers["event_id"]))
    assert event.id is not None
    try:
        wanted = changes.changes_for(session, event, _edit_for(answers["field"], text))
    except InvalidInput as error:
        return [
            Reply(problem(error)),
            ask(
                session,
                actor,
                "edit",
                say(f"edit_ask.{answers['field']}", title=event.title),
                **answers,
            ),
        ]
    conversation.clear(session, actor.telegram_id)
    if not wanted:
        return [Reply(say("nothing_changed")), card_reply(session, event)]
    changed = events.update(session, event.id, wanted, roles.actor(actor.telegram_id))
    counts = events.counts(session, event.id)
    told = counts.confirmed + counts.waitlisted if changed.moved else 0
    fields = ", ".join(t(f"admin.changed_fields.{name}") for name in changed.changes)
    return [
        Reply(say("changed", fields=fields, told=told)),
        card_reply(session, events.get(session, event.id)),
    ]


def open_or_close(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.EVENT_EDIT, args[0])
    assert event.id is not None
    reopen = args[1] == "1"
    events.set_registrations_open(session, event.id, reopen, roles.actor(actor.telegram_id))
    return [
        Reply(say("reopened" if reopen else "closed")),
        card_reply(session, events.get(session, event.id)),
    ]


def publish(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.EVENT_EDIT, args[0])
    assert event.id is not None
    published = events.publish(session, event.id, roles.actor(actor.telegram_id))
    return [Reply(say("published")), card_reply(session, published)]


def ask_reason(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.EVENT_EDIT, args[0])
    return [
        ask(session, actor, "cancel", say("cancel_reason", title=event.title), event_id=event.id)
    ]


def typed_reason(session: Session, actor: Actor, state: State, text: str) -> Result:
    answers = current(session, actor, "cancel")
    event = checked_event(session, actor, Action.EVENT_EDIT, str(answers["event_id"]))
    assert event.id is not None
    reason = " ".join(text.split())
    if not reason:
        raise InvalidInput("cancel_reason_missing")
    conversation.save(
        session,
        actor.telegram_id,
        State("a.cancel.confirm", {"event_id": event.id, "reason": reason[:500]}),
    )
    counts = events.counts(session, event.id)
    buttons = [
        [(label("confirm_cancel"), data("event_cancel_confirm", event.id))],
        [(label("keep_event"), data("abandon"))],
    ]
    return [
        Reply(
            say(
                "cancel_confirm",
                title=event.title,
                reason=reason[:500],
                count=counts.confirmed + counts.waitlisted,
            ),
            buttons,
        )
    ]


def confirm_cancel(session: Session, actor: Actor, args: list[str]) -> Result:
    answers = current(session, actor, "cancel.confirm")
    if str(answers["event_id"]) != args[0]:
        raise ValueError(args[0])
    event = checked_event(session, actor, Action.EVENT_EDIT, args[0])
    assert event.id is not None
    counts = events.counts(session, event.id)
    events.cancel(session, event.id, answers["reason"], roles.actor(actor.telegram_id))
    conversation.clear(session, actor.telegram_id)
    return [Reply(say("cancelled", title=event.title, count=counts.confirmed + counts.waitlisted))]


def ask_copy_date(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.EVENT_CREATE, args[0])
    return [ask(session, actor, "dup", say("duplicate_when", title=event.title), event_id=event.id)]


def typed_copy_date(session: Session, actor: Actor, state: State, text: str) -> Result:
    answers = current(session, actor, "dup")
    source = checked_event(session, actor, Action.EVENT_CREATE, str(answers["event_id"]))
    assert source.id is not None
    try:
        start = parse_local(text)
    except ValueError:
        raise InvalidInput("bad_datetime", value=text[:40]) from None
    copy = events.duplicate(session, source.id, start, roles.actor(actor.telegram_id))
    conversation.clear(session, actor.telegram_id)
    return [Reply(say("duplicated")), card_reply(session, copy)]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("event_edit", Action.EVENT_EDIT, choose_field),
    AdminRoute("event_edit_field", Action.EVENT_EDIT, ask_value),
    AdminRoute("event_open_close", Action.EVENT_EDIT, open_or_close),
    AdminRoute("event_publish", Action.EVENT_EDIT, publish),
    AdminRoute("event_cancel", Action.EVENT_EDIT, ask_reason),
    AdminRoute("event_cancel_confirm", Action.EVENT_EDIT, confirm_cancel),
    AdminRoute("event_copy", Action.EVENT_CREATE, ask_copy_date),
)
STEPS = (
    AdminStep("edit", Action.EVENT_EDIT, typed_value),
    AdminStep("cancel", Action.EVENT_EDIT, typed_reason),
    AdminStep("dup", Action.EVENT_CREATE, typed_copy_date),
)
