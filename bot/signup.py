"""First registration: the profile collected step by step, consent, then the registration.

Every step is one entry of :data:`STEPS` (in order): its question, how a typed
answer is read, how a tap on its buttons is taken, the longest answer accepted.
Adding a step touches that table only. Each answer is validated (the core's
cleaners, plus the length limit before anything else), and a wrong answer gets
the reason and the same question again. The pending action (register to an
event or a cycle, or another area's: see :mod:`bot.parts`) rides along in the
conversation row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot import buttons, conversation, emailcode, parts, structure
from bot.actor import Actor, registered_person
from bot.buttons import Route
from bot.calendar import invitation
from bot.conversation import State
from bot.texts import Button, Reply, label, page, problem, say
from relais import identifiers
from relais.db import session_scope
from relais.errors import DomainError, InvalidInput, NotFound
from relais.events import services as events
from relais.events.models import Series
from relais.people import services as people
from relais.people.models import ConsentPurpose, Person
from relais.reference import services as reference
from relais.reference.models import Departement
from relais.registrations import services as registrations
from relais.registrations.services import Outcome
from relais.settings import get_settings
from relais.timefmt import format_range

DEPARTEMENTS_PER_PAGE = 20
#: The buttons of every step: ``step:<step name>:<value>``.
STEP_ROUTE = "step"


class UseButtons(Exception):
    """The step expects a tap, not text."""


class UnknownDepartement(Exception):
    """Typed text that names no département."""


class Stale(Exception):
    """A button from an older message: the conversation moved on (or never was)."""


Ask = Callable[[Session, State], tuple[str, list[list[Button]]]]
Read = Callable[[Session, str], Any]
#: A tap on a step's button: the replies (the state is saved by the step or by ``_advance``).
Tap = Callable[[Session, Actor, State, str], list[Reply]]


def _use_buttons(session: Session, text: str) -> Any:
    raise UseButtons


@dataclass(frozen=True)
class Step:
    """One question of the profile."""

    name: str
    ask: Ask
    read: Read = _use_buttons
    tap: Tap | None = None
    limit: int | None = None
    stored_as: str | None = None
    #: Set for a detour (the e-mail code): the step that follows it.
    then: str | None = None
    #: A typed answer that is more than a value to store (the e-mail code, checked).
    answer: Tap | None = None


def begin(session: Session, actor: Actor, after: dict[str, int] | None) -> list[Reply]:
    conversation.save(session, actor.telegram_id, State(FIRST, {"after": after}))
    return [question(session, State(FIRST))]


def question(session: Session, state: State, *, edit: bool = False) -> Reply:
    """The question of ``state.step``, with its buttons."""
    text, rows = BY_NAME[state.step].ask(session, state)
    return Reply(text, rows, edit=edit)


def _tap_button(step: str, value: object, key: str) -> Button:
    return (label(key), buttons.data(STEP_ROUTE, step, value))


def _rows(choices: list[Button], width: int) -> list[list[Button]]:
    return [choices[index : index + width] for index in range(0, len(choices), width)]


# -- the steps: asking ---------------------------------------------------------------


def _plain(step: str) -> Ask:
    return lambda session, state: (say(f"ask.{step}"), [])


def _ask_email_confirm(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    row = [_tap_button("email_confirm", "y", "email_ok"),
           _tap_button("email_confirm", "n", "email_retype")]  # fmt: skip
    return say("ask.email_confirm", email=state.data["email"]), [row]


def _ask_email_code(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    return say("ask.email_code"), [[_tap_button("email_code", "other", "other_email")]]


def _ask_profile(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    choices = [
        (profile.name, buttons.data(STEP_ROUTE, "profile", profile.id))
        for profile in reference.profiles(session)
    ]
    return say("ask.profile"), _rows(choices, 2)


def _ask_structure_type(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    route = (STEP_ROUTE, "structure_type")
    return say("ask.structure_type"), structure.choices(session, route=route, skippable=False)


def _ask_departement(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    return say("ask.departement"), _departement_buttons(session, state.data.get("dep_page", 0))


def _ask_phone(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    return say("ask.phone"), [[_tap_button("phone", "skip", "skip")]]


def _ask_consent(session: Session, state: State) -> tuple[str, list[list[Button]]]:
    text = page(
        "consent.html",
        organisation=get_settings().organisation_name,
        privacy_url=get_settings().privacy_url,
        phone=bool(state.data.get("phone")),
    )
    row = [_tap_button("consent", "y", "consent_yes"), _tap_button("consent", "n", "consent_no")]
    return text, [row]


def _departement_buttons(session: Session, page_number: int) -> list[list[Button]]:
    all_departements = reference.departements(session)
    pages = max(1, -(-len(all_departements) // DEPARTEMENTS_PER_PAGE))
    page_number = page_number % pages
    start = page_number * DEPARTEMENTS_PER_PAGE
    shown = all_departements[start : start + DEPARTEMENTS_PER_PAGE]
    choices = [(f"{d.code} {d.name}"[:24], buttons.data(STEP_ROUTE, "departement", d.code))
               for d in shown]  # fmt: skip
    rows = _rows(choices, 2)
    rows.append([(label("more"), buttons.data("dep_page", (page_number + 1) % pages))])
    return rows


# -- the steps: reading typed answers -----------------------------------------------


def _find_departement(session: Session, text: str) -> str:
    wanted = text.strip().upper()
    if wanted.isdigit() and len(wanted) == 1:
        wanted = "0" + wanted
    found = session.get(Departement, wanted)
    if found is None:
        by_name = text.strip().casefold()
        found = next(
            (d for d in reference.departements(session) if d.name.casefold() == by_name), None
        )
    if found is None:
        raise UnknownDepartement
    return found.code


def _read_profile(session: Session, text: str) -> int | None:
    profile = reference.find_profile(session, text)
    if profile is None:
        raise UseButtons
    return profile.id


def _read_structure_type(session: Session, text: str) -> int | None:
    kind = reference.match_structure_type(session, text)
    if kind is None:
        raise UseButtons
    return kind.id


# -- the steps: taking taps ----------------------------------------------------------


def _tap_email_confirm(session: Session, actor: Actor, state: State, value: str) -> list[Reply]:
    if value != "y":
        return _retype_email(session, actor, state, value)
    if not emailcode.needs_proof(session, state.data["email"], actor.telegram_id):
        return [_advance(session, actor, state, edit=True)]
    try:
        emailcode.send_code(session, state.data["email"], state.data)
    except emailcode.TooManyCodes:
        state.step = "email"
        conversation.save(session, actor.telegram_id, state)
        return [Reply(say("invalid.too_many_codes"), edit=True)]
    state.step = "email_code"
    conversation.save(session, actor.telegram_id, state)
    return [question(session, state, edit=True)]


def _retype_email(session: Session, actor: Actor, state: State, value: str) -> list[Reply]:
    state.step = "email"
    conversation.save(session, actor.telegram_id, state)
    return [question(session, state)]


def _tap_profile(session: Session, actor: Actor, state: State, value: str) -> list[Reply]:
    if identifiers.number(value) not in {p.id for p in reference.profiles(session)}:
        raise Stale
    state.data["profile_id"] = identifiers.number(value)
    return [_advance(session, actor, state, edit=True)]


def _tap_structure_type(session: Session, actor: Actor, state: State, value: str) -> list[Reply]:
    kind = reference.structure_type(session, identifiers.number(value))
    if kind is None:
        raise Stale
    state.data["structure_type_id"] = kind.id
    return [_advance(session, actor, state, edit=True)]


def _tap_departement(session: Session, actor: Actor, state: State, value: str) -> list[Reply]:
    if session.get(Departement, value) is None:
        raise Stale
    state.data["departement"] = value
    return [_advance(session, actor, state, edit=True)]


def _tap_phone(session: Session, actor: Actor, state: State, value: str) -> list[Reply]:
    state.data["phone"] = None
    return [_advance(session, actor, state, edit=True)]


STEPS: tuple[Step, ...] = (
    Step("last_name", _plain("last_name"), lambda s, text: people.clean_name(text, "nom"),
         limit=people.MAX_NAME),
    Step("first_name", _plain("first_name"), lambda s, text: people.clean_name(text, "prénom"),
         limit=people.MAX_NAME),
    Step("email", _plain("email"), lambda s, text: people.normalize_email(text), limit=254),
    Step("email_confirm", _ask_email_confirm, tap=_tap_email_confirm),
    Step("email_code", _ask_email_code, tap=_retype_email, limit=20, then="organisation",
         answer=lambda session, actor, state, text: _check_code(session, actor, state, text)),
    Step("organisation", _plain("organisation"),
         lambda s, text: people.clean_name(text, "structure", people.MAX_ORGANISATION),
         limit=people.MAX_ORGANISATION),
    Step("structure_type", _ask_structure_type, _read_structure_type, _tap_structure_type,
         limit=120, stored_as="structure_type_id"),
    Step("profile", _ask_profile, _read_profile, _tap_profile, limit=120, stored_as="profile_id"),
    Step("departement", _ask_departement, _find_departement, _tap_departement, limit=60),
    Step("phone", _ask_phone, lambda s, text: people.clean_phone(text), _tap_phone, limit=30),
    Step("consent", _ask_consent),  # its tap saves the profile: see answer_button
)  # fmt: skip
BY_NAME = {step.name: step for step in STEPS}
FIRST = STEPS[0].name
_SEQUENCE = [step.name for step in STEPS if step.then is None]
NEXT = {step.name: step.then or _SEQUENCE[_SEQUENCE.index(step.name) + 1] for step in STEPS[:-1]}


def answer_text(actor: Actor, text: str) -> list[Reply] | None:
    """The typed answer to the current step, or None when no conversation is going on."""
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is None:
            return None
        other_area = parts.text_steps().get(state.step)
        if other_area is not None:
            return other_area(session, actor, state, text)
        step = BY_NAME.get(state.step)
        if step is None:  # a step no version of the bot asks any more
            conversation.clear(session, actor.telegram_id)
            return None
        if step.limit is not None and len(text.strip()) > step.limit:
            return [Reply(say("invalid.too_long", limit=step.limit)), question(session, state)]
        if step.answer is not None:
            return step.answer(session, actor, state, text)
        try:
            value = step.read(session, text)
        except UseButtons:
            return [Reply(say("invalid.use_buttons")), question(session, state)]
        except UnknownDepartement:
            reply = Reply(say("invalid.departement", value=text.strip()[:40]))
            return [reply, question(session, state)]
        except InvalidInput as error:
            return [Reply(problem(error)), question(session, state)]
        state.data[step.stored_as or step.name] = value
        return [_advance(session, actor, state)]


def _check_code(session: Session, actor: Actor, state: State, text: str) -> list[Reply]:
    try:
        emailcode.check_code(text, state.data["email"], state.data)
    except emailcode.CodeRefused as refused:
        if refused.exhausted:
            state.step = "email"
            conversation.save(session, actor.telegram_id, state)
            return [Reply(say("invalid.code_exhausted"))]
        conversation.save(session, actor.telegram_id, state)
        return [Reply(say("invalid.code")), question(session, state)]
    return [_advance(session, actor, state)]


def _advance(session: Session, actor: Actor, state: State, *, edit: bool = False) -> Reply:
    state.step = NEXT[state.step]
    conversation.save(session, actor.telegram_id, state)
    return question(session, state, edit=edit)


def answer_button(actor: Actor, step: str, value: str) -> list[Reply]:
    """A tap on a step's button; raises Stale when that step is not the current one."""
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is None or state.step != step or step not in BY_NAME:
            raise Stale
        tap = BY_NAME[step].tap
        if tap is not None:
            return tap(session, actor, state, value)
        if value != "y":
            conversation.clear(session, actor.telegram_id)
            return [Reply(say("consent_refused"), edit=True)]
        person = _save(session, actor, state.data)
        after = state.data.get("after")
        saved = Reply(say("profile_saved", first_name=person.first_name), edit=True)
    if not after:
        saved.buttons = [_events_and_menu()]
    return [saved, *perform(actor, after)]


def turn_departement_page(actor: Actor, page_number: int) -> list[Reply]:
    """« Plus de départements »: the same question, the next page of buttons."""
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is None or state.step != "departement":
            raise Stale
        state.data["dep_page"] = page_number
        conversation.save(session, actor.telegram_id, state)
        return [question(session, state, edit=True)]


def _save(session: Session, actor: Actor, data: dict[str, Any]) -> Person:
    person = people.save_profile(
        session,
        email=data["email"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        organisation=data["organisation"],
        profile_id=data["profile_id"],
        structure_type_id=data.get("structure_type_id"),
        departement_code=data["departement"],
        phone=data.get("phone"),
        telegram_id=actor.telegram_id,
        actor=actor.audit,
    )
    assert person.id is not None
    people.record_consent(
        session,
        person.id,
        ConsentPurpose.REGISTRATION,
        channel="telegram",
        source=f"bot; notice: {get_settings().privacy_url or '-'}",
    )
    conversation.clear(session, actor.telegram_id)
    return person


def perform(actor: Actor, after: dict[str, int] | None) -> list[Reply]:
    """The registration the profile was collected for, if any."""
    if not after:
        return []
    for key, action in parts.after_profile().items():
        if key in after:
            return action(actor, after[key])
    if "series" in after:
        return register_cycle(actor, after["series"])
    return register_event(actor, after["event"])


def _after_buttons() -> list[list[Button]]:
    return [
        [(label("not_me"), buttons.data("not_me"))],
        [(label("mine"), buttons.data("mine")), (label("menu"), buttons.data("menu"))],
    ]


def _events_and_menu() -> list[Button]:
    events_button = (label("events"), buttons.data("events", 0, None, None, None))
    return [events_button, (label("menu"), buttons.data("menu"))]


def register_event(actor: Actor, event_id: int) -> list[Reply]:
    """One tap for a known person; the profile questions first for anyone else."""
    try:
        with session_scope() as session:
            person = registered_person(session, actor.telegram_id)
            if person is None:
                return begin(session, actor, {"event": event_id})
            assert person.id is not None
            outcome = registrations.register(
                session, event_id, person.id, source="telegram", actor=actor.audit
            )
            replies = _outcome_replies(session, outcome, person)
            return [*replies, *structure.ask_once(session, person)]
    except DomainError as error:
        return [Reply(problem(error), [_events_and_menu()])]


def _outcome_replies(session: Session, outcome: Outcome, person: Person) -> list[Reply]:
    event = outcome.event
    if not outcome.confirmed:
        text = say("waitlisted", title=event.title, position=outcome.position or 0)
        return [Reply(text, _after_buttons())]
    text = page("confirmation.html", event=event, place=events.place_label(event), person=person)
    return [
        Reply(text, _after_buttons()),
        Reply(
            say("ics_caption", title=event.title),
            document=invitation(session, outcome.registration, event),
        ),
    ]


def register_cycle(actor: Actor, series_id: int) -> list[Reply]:
    """Every upcoming session of a cycle, or none (the core rolls back on a refusal)."""
    try:
        with session_scope() as session:
            person = registered_person(session, actor.telegram_id)
            if person is None:
                return begin(session, actor, {"series": series_id})
            series = session.get(Series, series_id)
            if series is None:
                raise NotFound("series_not_found", code=str(series_id))
            assert person.id is not None
            outcomes = registrations.register_series(
                session, series_id, person.id, source="telegram"
            )
            lines = [
                {
                    "title": o.event.title,
                    "when": format_range(o.event.starts_at, o.event.ends_at),
                    "status": say("registration_label.confirmed")
                    if o.confirmed
                    else say("registration_label.waitlisted", position=o.position or 0),
                }
                for o in outcomes
            ]
            text = page("series_confirmation.html", series=series, lines=lines, person=person)
            documents = [
                Reply(
                    say("ics_caption", title=o.event.title),
                    document=invitation(session, o.registration, o.event),
                )
                for o in outcomes
                if o.confirmed
            ]
            return [Reply(text, _after_buttons()), *documents, *structure.ask_once(session, person)]
    except DomainError as error:
        return [Reply(problem(error), [_events_and_menu()])]


def restart_profile(actor: Actor) -> list[Reply]:
    """« Ce n'est plus moi / modifier »: the questions again; the new answers replace the old."""
    with session_scope() as session:
        return begin(session, actor, None)


def cancel(actor: Actor) -> bool:
    with session_scope() as session:
        return conversation.clear(session, actor.telegram_id)


#: The profile's buttons: a step's choice, the next page of départements, « ce n'est plus moi ».
ROUTES = (
    Route(STEP_ROUTE, lambda actor, args: answer_button(actor, *args),
          (buttons.one_of(*BY_NAME), buttons.word)),
    Route("dep_page", lambda actor, args: turn_departement_page(actor, args[0]), (buttons.number,)),
    Route("not_me", lambda actor, args: restart_profile(actor)),
)  # fmt: skip
