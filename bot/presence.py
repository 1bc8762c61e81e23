"""Presence in the bot: check-in from the QR code, the survey, coordinators' attendance lists.

The bot's setup (:mod:`bot.parts`) joins what this module lists: its deep
links (``p_<code>`` and ``s_<code>``), its ``/presences`` command
(:func:`install`), its buttons (:data:`ROUTES`), and its part in the profile
flow (a newcomer's check-in resumes once the profile is saved; the survey's
comment is a typed step). Its component (a channel of the wiring list) asks the
survey on Telegram after each session (the follow-up e-mail links to the same
survey on the web).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import buttons, conversation, handlers, signup
from bot.actor import Actor, linked_person, registered_person
from bot.buttons import Route
from bot.conversation import State
from bot.outbox import queue_message, wake
from bot.texts import Button, Reply, Words, problem, short
from bot.work import in_thread
from relais.attendance import services as attendance
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.db import session_scope
from relais.delivery import Job, Periodic
from relais.errors import DomainError, InvalidInput, NotFound
from relais.events import services as events
from relais.events import visibility
from relais.events.models import Event, EventNetwork, EventStatus
from relais.events.visibility import Viewer
from relais.i18n import t
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.roles import services as roles
from relais.satisfaction import services as satisfaction
from relais.satisfaction.models import SatisfactionAnswer
from relais.settings import Settings
from relais.timefmt import local, utcnow

log = logging.getLogger(__name__)
COMMENT_STEP = "survey_comment"
ROSTER_PAGE = 12
RECENT_DAYS = 7
SURVEY_DELAY = timedelta(minutes=30)
SURVEY_WINDOW = timedelta(days=2)
SWEEP_SECONDS = 300
#: A tap on a person's button moves to the next status.
NEXT_STATUS = {
    None: AttendanceStatus.PRESENT,
    AttendanceStatus.PRESENT: AttendanceStatus.ABSENT,
    AttendanceStatus.ABSENT: AttendanceStatus.EXCUSED,
    AttendanceStatus.EXCUSED: AttendanceStatus.PRESENT,
}
ICONS = {
    None: "⬜",
    AttendanceStatus.PRESENT: "✅",
    AttendanceStatus.ABSENT: "❌",
    AttendanceStatus.EXCUSED: "🟡",
}


class Stale(ValueError):
    """A button that no longer applies (the bot answers « bouton expiré »)."""


#: Presence's words: ``bot.presence.*`` in ``messages/bot.yaml``.
PRESENCE = Words("bot.presence", "bot.presence.buttons", "bot")
_say = PRESENCE.say
_label = PRESENCE.label


# -- check-in -------------------------------------------------------------------


def _checked_in(session: Session, event_id: int, person: Person) -> list[Reply]:
    assert person.id is not None
    result = attendance.check_in(session, event_id, person.id)
    if result.already:
        return [Reply(_say("checkin_already", title=result.event.title))]
    text = _say(
        "checkin_done", title=result.event.title, first_name=person.first_name,
        walk_in=result.registered_now,
    )  # fmt: skip
    return [Reply(text)]


def check_in(actor: Actor, code: str) -> list[Reply]:
    """One tap for a known person; the profile questions first for a newcomer."""
    try:
        with session_scope() as session:
            event = visibility.event_by_code(session, code, Viewer(actor.telegram_id))
            assert event.id is not None
            person = registered_person(session, actor.telegram_id)
            if person is None:
                attendance.ensure_checkin_open(event, utcnow())
                intro = Reply(_say("checkin_profile_first", title=event.title))
                return [intro, *signup.begin(session, actor, {"checkin": event.id})]
            return _checked_in(session, event.id, person)
    except DomainError as error:
        return [Reply(problem(error))]


def resume_check_in(actor: Actor, event_id: int) -> list[Reply]:
    """After the newcomer's profile is saved: the check-in they came for."""
    try:
        with session_scope() as session:
            person = registered_person(session, actor.telegram_id)
            if person is None:
                return []
            return _checked_in(session, event_id, person)
    except DomainError as error:
        return [Reply(problem(error))]


# -- satisfaction survey ----------------------------------------------------------


def survey(actor: Actor, code: str) -> list[Reply]:
    """The 1–5 question of a session's survey."""
    try:
        with session_scope() as session:
            event = visibility.event_by_code(session, code, Viewer(actor.telegram_id))
            person = linked_person(session, actor.telegram_id)
            if person is None or person.id is None or event.id is None:
                return [Reply(_say("survey_unknown_person"))]
            satisfaction.check_can_answer(session, event.id, person.id, utcnow())
            previous = satisfaction.find(session, event.id, person.id)
            rating = _rating_buttons(event.id)
            text = _say(
                "survey_question", title=event.title,
                previous=previous.rating if previous else None,
            )  # fmt: skip
            return [Reply(text, rating)]
    except DomainError as error:
        return [Reply(problem(error))]


def rate(actor: Actor, args: list[Any]) -> list[Reply]:
    event_id, rating = args
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        if person is None or person.id is None:
            raise Stale
        try:
            visibility.event_by_id(session, event_id, Viewer(actor.telegram_id, person.id))
        except NotFound:
            raise Stale from None
        satisfaction.answer(session, event_id, person.id, rating, channel="telegram")
        conversation.save(session, actor.telegram_id, State(COMMENT_STEP, {"event": event_id}))
    return [
        Reply(_say("survey_rated", rating=rating), edit=True),
        Reply(
            _say("survey_comment_question"),
            [[(_label("skip_comment"), buttons.data("survey.skip", event_id))]],
        ),
    ]


def skip_comment(actor: Actor, args: list[Any]) -> list[Reply]:
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is None or state.step != COMMENT_STEP:
            raise Stale
        conversation.clear(session, actor.telegram_id)
    return [Reply(_say("survey_done"), edit=True)]


def comment(session: Session, actor: Actor, state: State, text: str) -> list[Reply]:
    """The typed comment after a rating (the profile flow hands the text over)."""
    person = linked_person(session, actor.telegram_id)
    if person is None or person.id is None:
        conversation.clear(session, actor.telegram_id)
        return [Reply(_say("survey_unknown_person"))]
    try:
        satisfaction.set_comment(session, int(state.data["event"]), person.id, text)
    except InvalidInput as error:
        return [Reply(problem(error)), Reply(_say("survey_comment_question"))]
    conversation.clear(session, actor.telegram_id)
    return [Reply(_say("survey_comment_saved"))]


# -- coordinators' attendance lists ---------------------------------------------------


def _refused(actor: Actor, action: str, error: roles.PermissionDenied) -> list[Reply]:
    roles.record_denied(actor.telegram_id, action)
    return [Reply(problem(error))]


def _recent_sessions(session: Session, networks: frozenset[int] | None) -> list[Event]:
    """Sessions of the last days and tomorrow; a network-limited coordinator sees theirs."""
    now = utcnow()
    query = (
        select(Event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            col(Event.starts_at) >= now - timedelta(days=RECENT_DAYS),
            col(Event.starts_at) <= now + timedelta(days=1),
        )
        .order_by(col(Event.starts_at).desc())
        .limit(10)
    )
    if networks is not None:
        query = query.where(
            col(Event.id).in_(
                select(EventNetwork.event_id).where(col(EventNetwork.network_id).in_(networks))
            )
        )
    return list(session.exec(query))


def sessions_menu(actor: Actor, code: str = "") -> list[Reply]:
    """``/presences``: the recent sessions, or straight to one with ``/presences CODE``."""
    try:
        with session_scope() as session:
            grant = roles.require(session, actor.telegram_id, roles.Action.REGISTRATIONS)
            if code:
                event = events.by_code(session, code)
                assert event.id is not None
                roles.require_event(
                    session, actor.telegram_id, roles.Action.REGISTRATIONS, event.id
                )
                return [roster(session, event.id, 0)]
            recent = _recent_sessions(session, grant.networks)
            if not recent:
                return [Reply(_say("no_recent_sessions", days=RECENT_DAYS))]
            choices = [
                [
                    (
                        f"{local(e.starts_at).strftime('%d/%m')} {short(e.title, 36)}",
                        buttons.data("roster", e.id, 0),
                    )
                ]
                for e in recent
            ]
            return [Reply(_say("choose_session"), choices)]
    except roles.PermissionDenied as denied:
        return _refused(actor, "presences", denied)
    except DomainError as error:
        return [Reply(problem(error))]


def roster(session: Session, event_id: int, page_number: int, *, edit: bool = False) -> Reply:
    event = events.get(session, event_id)
    lines = attendance.roster(session, event_id)
    pages = max(1, -(-len(lines) // ROSTER_PAGE))
    page_number = min(max(page_number, 0), pages - 1)
    shown = lines[page_number * ROSTER_PAGE : (page_number + 1) * ROSTER_PAGE]
    rows: list[list[Button]] = []
    for line in shown:
        name = f"{line.person.last_name.upper()} {line.person.first_name}".strip()
        label = f"{ICONS[line.status]} {short(name or t('presence.anonymous'), 40)}"
        rows.append([(label, buttons.data("roster.mark", event_id, line.person.id, page_number))])
    navigation: list[Button] = []
    if page_number > 0:
        navigation.append((_label("previous"), buttons.data("roster", event_id, page_number - 1)))
    if page_number + 1 < pages:
        navigation.append((_label("next"), buttons.data("roster", event_id, page_number + 1)))
    if navigation:
        rows.append(navigation)
    counts = {status: sum(1 for line in lines if line.status == status) for status in ICONS}
    text = _say(
        "roster", title=event.title, when=event.starts_at, registered=len(lines),
        present=counts[AttendanceStatus.PRESENT], absent=counts[AttendanceStatus.ABSENT],
        excused=counts[AttendanceStatus.EXCUSED], unmarked=counts[None],
        page=page_number + 1, pages=pages,
    )  # fmt: skip
    return Reply(text, rows, edit=edit)


def roster_route(actor: Actor, args: list[Any]) -> list[Reply]:
    event_id, page_number = args
    try:
        with session_scope() as session:
            roles.require_event(session, actor.telegram_id, roles.Action.REGISTRATIONS, event_id)
            return [roster(session, event_id, page_number, edit=True)]
    except roles.PermissionDenied as denied:
        return _refused(actor, "presences", denied)


def toggle(actor: Actor, args: list[Any]) -> list[Reply]:
    """Next status for one person; the list is redrawn in place (the role checked again)."""
    event_id, person_id, page_number = args
    try:
        with session_scope() as session:
            roles.require_event(session, actor.telegram_id, roles.Action.REGISTRATIONS, event_id)
            return _toggle(session, actor, event_id, person_id, page_number)
    except roles.PermissionDenied as denied:
        return _refused(actor, "presences", denied)


def _toggle(
    session: Session, actor: Actor, event_id: int, person_id: int, page_number: int
) -> list[Reply]:
    current = attendance.for_event(session, event_id).get(person_id)
    status = NEXT_STATUS[current.status if current else None]
    attendance.mark(
        session, event_id, [person_id], status, actor.audit, AttendanceMethod.COORDINATOR
    )
    return [roster(session, event_id, page_number, edit=True)]


# -- survey prompts after each session ----------------------------------------------


def _rating_buttons(event_id: int) -> list[list[Button]]:
    return [[(str(n), buttons.data("survey.rate", event_id, n)) for n in satisfaction.RATINGS]]


def queue_survey_prompts(now: datetime | None = None) -> int:
    """Queue the survey question for everyone expected at a session that just ended.

    Sessions that ended between SURVEY_DELAY and SURVEY_WINDOW ago; people
    with a confirmed registration, not marked absent or excused, reachable on
    Telegram, who have not answered yet. The idempotency key makes repeated
    sweeps harmless. Returns how many messages were queued.
    """
    now = now or utcnow()
    queued = 0
    with session_scope() as session:
        mark = aliased(Attendance)
        rows = session.exec(
            select(Event, Person)
            .join(Registration, col(Registration.event_id) == Event.id)
            .join(Person, col(Person.id) == Registration.person_id)
            .outerjoin(
                mark,
                (col(mark.event_id) == Registration.event_id)
                & (col(mark.person_id) == Registration.person_id),
            )
            .outerjoin(
                SatisfactionAnswer,
                (col(SatisfactionAnswer.event_id) == Registration.event_id)
                & (col(SatisfactionAnswer.person_id) == Registration.person_id),
            )
            .where(
                Event.status == EventStatus.PUBLISHED,
                col(Event.ends_at) <= now - SURVEY_DELAY,
                col(Event.ends_at) > now - SURVEY_WINDOW,
                Registration.status == RegistrationStatus.CONFIRMED,
                col(mark.status).is_(None) | (col(mark.status) == AttendanceStatus.PRESENT),
                col(Person.telegram_id).is_not(None),
                col(Person.telegram_blocked).is_(False),
                col(SatisfactionAnswer.id).is_(None),
            )
        ).all()
        for event, person in rows:
            assert event.id is not None
            queued += queue_message(
                session, person_id=person.id, idempotency_key=f"survey:{event.id}:{person.id}",
                text_html=_say("survey_prompt", title=event.title, first_name=person.first_name),
                buttons=_rating_buttons(event.id),
            )  # fmt: skip
    return queued


async def _sweep() -> None:
    """Prompts due now become outbox rows; the sender is told at once."""
    try:
        if await in_thread(queue_survey_prompts):
            wake()
    except Exception:
        log.exception(t("logs.survey_sweep_failed", seconds=SWEEP_SECONDS))


def component(settings: Settings) -> Periodic | None:
    """The sweep every few minutes, handed to the scheduler; only with a bot (without a
    token there is nobody to ask on Telegram)."""
    if not settings.telegram_bot_token:
        return None
    sweep = Job("bot.survey_prompts", SWEEP_SECONDS, _sweep, grace=SWEEP_SECONDS)
    return Periodic("survey-prompts", [sweep])


async def checkin_link(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    replies = await in_thread(check_in, handlers.actor_of(update), code)
    await handlers.respond(update, context, replies)


async def survey_link(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    await handlers.respond(
        update, context, await in_thread(survey, handlers.actor_of(update), code)
    )


async def presences_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    code = context.args[0] if context.args else ""
    replies = await in_thread(sessions_menu, handlers.actor_of(update), code)
    await handlers.respond(update, context, replies)


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("presences", presences_command))


#: Presence's buttons: the survey's rating and « passer », the attendance list and its marks.
ROUTES = (
    Route("survey.rate", rate, (buttons.number, buttons.number)),
    Route("survey.skip", skip_comment, (buttons.number,)),
    Route("roster", roster_route, (buttons.number, buttons.number)),
    Route("roster.mark", toggle, (buttons.number, buttons.number, buttons.number)),
)
