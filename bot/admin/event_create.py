"""Creating an event (or a cycle) step by step, then publishing it or keeping a draft.

The answers ride along in the conversation row (``a.new.<field>``); buttons
``a.event_new_choice:<field>:<value>`` answer the steps that offer choices. Nothing is
written to the events until the coordinator taps « Publier » or « Brouillon »
on the preview, and then everything is validated once more by
:class:`relais.events.schemas.EventInput`, as for the command line.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from pydantic import ValidationError
from sqlmodel import Session, col, select

from bot import conversation
from bot.actor import Actor
from bot.admin.common import (
    PREFIX,
    AdminRoute,
    AdminStep,
    Result,
    Stale,
    StepFn,
    ask,
    data,
    label,
    page,
    say,
)
from bot.admin.menu import admin_networks, card_reply
from bot.conversation import State
from bot.texts import Button, Reply, problem, short
from relais import identifiers
from relais.access import links
from relais.errors import InvalidInput
from relais.events import services as events
from relais.events.changes import parse_capacity
from relais.events.models import EventFormat, EventStatus
from relais.events.schemas import EventInput, describe_errors
from relais.i18n import t
from relais.networks.models import Network
from relais.reference import services as reference
from relais.roles import services as roles
from relais.roles.services import Action
from relais.timefmt import parse_local, utcnow

ORDER = (
    "title", "theme", "format", "start", "duration", "venue", "visio", "capacity",
    "deadline", "networks", "audience", "description",
)  # fmt: skip
CHOICE_STEPS = {"theme", "format", "networks", "audience"}
DURATIONS = ((60, "1 h"), (120, "2 h"), (180, "3 h"), (420, "journée"))
DURATION = re.compile(r"^(?:(\d{1,3})\s*h\s*(\d{1,2})?|(\d{1,4})\s*(?:min)?)$")
STEP = "new."


def _applies(field: str, answers: dict[str, Any]) -> bool:
    if field == "venue":
        return answers.get("format") != EventFormat.DISTANCIEL.value
    if field == "visio":
        return answers.get("format") != EventFormat.PRESENTIEL.value
    return True


def _next_field(answers: dict[str, Any], after: str) -> str | None:
    later = ORDER[ORDER.index(after) + 1 :]
    return next((field for field in later if _applies(field, answers)), None)


def _choices(
    session: Session, actor: Actor, field: str, answers: dict[str, Any]
) -> list[list[Button]]:
    if field == "theme":
        rows = [
            [(short(theme.name), data("event_new_choice", "theme", theme.id))]
            for theme in reference.themes(session)
        ]
        return [*rows, [(label("skip"), data("event_new_choice", "theme", 0))]]
    if field == "format":
        return [
            [(say(f"formats.{kind.value}"), data("event_new_choice", "format", kind.value))]
            for kind in EventFormat
        ]
    if field == "networks":
        chosen = set(answers.get("networks", []))
        rows = [
            [
                (
                    ("✓ " if n.id in chosen else "") + short(n.name),
                    data("event_new_choice", "net", n.id),
                )
            ]
            for n in admin_networks(session, actor)
        ]
        return [*rows, [(label("done"), data("event_new_choice", "networks", "done"))]]
    if field == "audience":
        chosen = set(answers.get("audience", []))
        rows = [
            [
                (
                    ("✓ " if p.id in chosen else "") + short(p.name),
                    data("event_new_choice", "aud", p.id),
                )
            ]
            for p in reference.profiles(session)
        ]
        return [
            *rows,
            [
                (
                    label("everyone" if not chosen else "done"),
                    data("event_new_choice", "audience", "done"),
                )
            ],
        ]
    shortcuts: dict[str, list[Button]] = {
        "duration": [
            (text, data("event_new_choice", "duration", minutes)) for minutes, text in DURATIONS
        ],
        "capacity": [(label("unlimited"), data("event_new_choice", "capacity", 0))],
        "deadline": [(label("no_deadline"), data("event_new_choice", "deadline", 0))],
        "description": [(label("skip"), data("event_new_choice", "description", 0))],
    }
    if field == "start" and answers.get("cycle") and answers.get("dates"):
        shortcuts["start"] = [(label("done"), data("event_new_choice", "start", "done"))]
    return [shortcuts[field]] if field in shortcuts else []


def _question(
    session: Session, actor: Actor, field: str, answers: dict[str, Any], *, edit: bool = False
) -> Reply:
    reply = ask(
        session,
        actor,
        STEP + field,
        say(
            f"ask.{field}",
            cycle=bool(answers.get("cycle")),
            count=len(answers.get("dates", [])) + 1,
        ),
        **answers,
    )
    reply.buttons = [*_choices(session, actor, field, answers), *reply.buttons]
    reply.edit = edit
    return reply


def _advance(session: Session, actor: Actor, answers: dict[str, Any], after: str) -> Result:
    field = _next_field(answers, after)
    if field is None:
        return [_preview(session, actor, answers)]
    return [_question(session, actor, field, answers)]


def start_event(session: Session, actor: Actor, args: list[str]) -> Result:
    return [_question(session, actor, "title", {"cycle": False})]


def start_cycle(session: Session, actor: Actor, args: list[str]) -> Result:
    return [_question(session, actor, "title", {"cycle": True, "dates": []})]


def _moment(text: str) -> datetime:
    try:
        moment = parse_local(text)
    except ValueError:
        raise InvalidInput("bad_datetime", value=text[:40]) from None
    if moment <= utcnow():
        raise InvalidInput("admin_date_past", value=text[:40])
    return moment


def parse_minutes(text: str) -> int:
    """« 90 », « 1h30 », « 2 h » → minutes (15 min to 5 days)."""
    match = DURATION.match(text.lower())
    if match is None:
        raise InvalidInput("admin_bad_duration", value=text[:20])
    hours, minutes, only_minutes = match.groups()
    total = int(only_minutes) if only_minutes else int(hours) * 60 + int(minutes or 0)
    if not 15 <= total <= 60 * 24 * 5:
        raise InvalidInput("admin_bad_duration", value=text[:20])
    return total


def _text_value(field: str, text: str, answers: dict[str, Any]) -> Any:
    """The typed answer as stored, or InvalidInput with the French reason."""
    if field in CHOICE_STEPS:
        raise InvalidInput("admin_use_buttons")
    if field == "title":
        if not 3 <= len(text) <= 200:
            raise InvalidInput("admin_bad_length", field="titre", low=3, high=200)
        return text
    if field == "start":
        return _moment(text).isoformat()
    if field == "duration":
        return parse_minutes(text)
    if field == "venue":
        if not 3 <= len(text) <= 300:
            raise InvalidInput("admin_bad_length", field="lieu", low=3, high=300)
        return text
    if field == "visio":
        parsed = urlparse(text)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(text) > 500:
            raise InvalidInput("bad_url", value=text[:60])
        return text
    if field == "capacity":
        return parse_capacity(text)
    if field == "deadline":
        moment = _moment(text)
        starts = answers.get("dates", [answers.get("start")])
        if starts and starts[0] and moment > datetime.fromisoformat(min(starts)):
            raise InvalidInput("deadline_after_start")
        return moment.isoformat()
    if len(text) > 10_000:
        raise InvalidInput("admin_bad_length", field="description", low=0, high=10_000)
    return text


def _answer(session: Session, actor: Actor, field: str, text: str) -> Result:
    state = conversation.load(session, actor.telegram_id)
    assert state is not None
    answers = state.data
    try:
        value = _text_value(field, text, answers)
    except InvalidInput as error:
        return [Reply(problem(error)), _question(session, actor, field, answers)]
    if field == "start" and answers.get("cycle"):
        answers.setdefault("dates", []).append(value)
        return [_question(session, actor, "start", answers)]
    answers[field] = value
    return _advance(session, actor, answers, field)


def _text_step(field: str) -> StepFn:
    """The typed answer to the creation step ``field``."""

    def typed(session: Session, actor: Actor, state: State, text: str) -> Result:
        return _answer(session, actor, field, text)

    return typed


def tapped(session: Session, actor: Actor, args: list[str]) -> Result:
    """A choice on one of the creation steps (or on the preview)."""
    field, value = args[0], args[1]
    state = conversation.load(session, actor.telegram_id)
    if state is None or not state.step.startswith(PREFIX + STEP):
        raise Stale
    answers = state.data
    current = state.step[len(PREFIX + STEP) :]
    if field == "save" and current == "preview":
        return _save(session, actor, answers, EventStatus(value))
    toggles = {"net": "networks", "aud": "audience"}
    if toggles.get(field, field) != current:
        raise Stale
    if field in toggles:
        chosen = set(answers.get(toggles[field], [])) ^ {identifiers.number(value)}
        answers[toggles[field]] = sorted(chosen)
        return [_question(session, actor, current, answers, edit=True)]
    if field == "start":
        if not answers.get("dates"):
            raise Stale
        return _advance(session, actor, answers, "start")
    if field == "networks" and not answers.get("networks"):
        limited = roles.require(session, actor.telegram_id, Action.EVENT_CREATE).networks
        if limited is not None:
            refusal = Reply(problem(InvalidInput("admin_network_required")))
            return [refusal, _question(session, actor, "networks", answers)]
    if field in ("networks", "audience"):
        return _advance(session, actor, answers, field)
    answers[field] = _button_value(field, value)
    return _advance(session, actor, answers, field)


def _button_value(field: str, value: str) -> Any:
    if field == "format":
        return EventFormat(value).value
    if field in ("theme", "capacity", "deadline"):
        return identifiers.number(value) or None
    if field == "duration":
        return identifiers.number(value)
    return ""


def _inputs(session: Session, answers: dict[str, Any], status: EventStatus) -> list[EventInput]:
    """The event (or each session of the cycle) as the core validates it."""
    themes = reference.themes(session)
    theme_name = next((t.name for t in themes if t.id == answers.get("theme")), None)
    network_codes = [
        n.code
        for n in session.exec(
            select(Network).where(col(Network.id).in_(answers.get("networks", [])))
        )
    ]
    profiles = [
        p.name for p in reference.profiles(session) if p.id in set(answers.get("audience", []))
    ]
    starts: list[str] = (
        list(answers.get("dates") or []) if answers.get("cycle") else [answers["start"]]
    )
    common: dict[str, Any] = {
        "description": answers.get("description", ""),
        "theme": theme_name,
        "format": answers.get("format", EventFormat.PRESENTIEL.value),
        "duration_minutes": answers.get("duration", 120),
        "venue": answers.get("venue", ""),
        "visio_url": answers.get("visio", ""),
        "capacity": answers.get("capacity"),
        "registration_deadline": datetime.fromisoformat(answers["deadline"])
        if answers.get("deadline")
        else None,
        "networks": network_codes,
        "audience_profiles": profiles,
        "status": status,
    }
    try:
        return [
            EventInput(
                title=t("admin.bot.session_title", title=answers["title"], number=number)
                if answers.get("cycle")
                else answers["title"],
                starts_at=datetime.fromisoformat(start),
                **common,
            )
            for number, start in enumerate(sorted(starts), start=1)
        ]
    except ValidationError as error:
        raise InvalidInput(
            "admin_invalid_fields", reasons="; ".join(describe_errors(error))
        ) from None


def _preview(session: Session, actor: Actor, answers: dict[str, Any]) -> Reply:
    conversation.save(session, actor.telegram_id, State(PREFIX + STEP + "preview", answers))
    inputs = _inputs(session, answers, EventStatus.PUBLISHED)
    text = page(
        "preview.html",
        answers=answers,
        inputs=inputs,
        format_label=say(f"formats.{inputs[0].format.value}"),
    )
    buttons = [
        [(label("publish"), data("event_new_choice", "save", EventStatus.PUBLISHED.value)),
         (label("keep_draft"), data("event_new_choice", "save", EventStatus.DRAFT.value))],
        [(label("abandon"), data("abandon"))],
    ]  # fmt: skip
    return Reply(text, buttons)


def _save(session: Session, actor: Actor, answers: dict[str, Any], status: EventStatus) -> Result:
    grant = roles.require(session, actor.telegram_id, Action.EVENT_CREATE)
    chosen = answers.get("networks", [])
    if grant.networks is not None and not chosen:
        raise InvalidInput("admin_network_required")
    for network_id in chosen:
        roles.require(session, actor.telegram_id, Action.EVENT_CREATE, network_id=network_id)
    inputs = _inputs(session, answers, status)
    who = roles.actor(actor.telegram_id)
    if answers.get("cycle"):
        series, created = events.create_series(session, answers["title"], inputs, who)
        conversation.clear(session, actor.telegram_id)
        text = say("cycle_created", title=series.title, count=len(created),
                   link=links.series_telegram_link(series) or links.series_page(series))  # fmt: skip
        return [Reply(text), card_reply(session, created[0])]
    event = events.create(session, inputs[0], who)
    conversation.clear(session, actor.telegram_id)
    return [
        Reply(say("created" if status == EventStatus.PUBLISHED else "drafted")),
        card_reply(session, event),
    ]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
STEPS = tuple(AdminStep(STEP + field, Action.EVENT_CREATE, _text_step(field)) for field in ORDER)
ROUTES = (
    AdminRoute("event_new", Action.EVENT_CREATE, start_event),
    AdminRoute("cycle_new", Action.EVENT_CREATE, start_cycle),
    AdminRoute("event_new_choice", Action.EVENT_CREATE, tapped),
)
