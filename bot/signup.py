"""First registration: the profile collected step by step, consent, then the registration.

Steps follow each other in ``NEXT``; each answer is validated (the core's
cleaners, plus a length limit before anything else), and a wrong answer gets
the reason and the same question again. The pending action (register to an
event or a cycle) rides along in the conversation row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot import conversation, emailcode, structure
from bot.actor import Actor, registered_person
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

NEXT = {
    "last_name": "first_name",
    "first_name": "email",
    "email": "email_confirm",
    "email_confirm": "organisation",
    "email_code": "organisation",
    "organisation": "structure_type",
    "structure_type": "profile",
    "profile": "departement",
    "departement": "phone",
    "phone": "consent",
}
LIMITS = {
    "last_name": people.MAX_NAME,
    "first_name": people.MAX_NAME,
    "email": 254,
    "organisation": people.MAX_ORGANISATION,
    "structure_type": 120,
    "profile": 120,
    "departement": 60,
    "phone": 30,
    "email_code": 20,
}
DEPARTEMENTS_PER_PAGE = 20
FIELD_NAMES = {"last_name": "nom", "first_name": "prénom"}


#: Other areas' actions resumed once the profile is saved, keyed like ``after`` (``checkin``).
AFTER: dict[str, Callable[[Actor, int], list[Reply]]] = {}
#: Other areas' typed-answer steps (the survey comment): ``fn(session, actor, state, text)``.
TEXT_STEPS: dict[str, Callable[[Session, Actor, State, str], list[Reply]]] = {}


class UseButtons(Exception):
    """The step expects a tap, not text."""


class UnknownDepartement(Exception):
    """Typed text that names no département."""


def begin(session: Session, actor: Actor, after: dict[str, int] | None) -> list[Reply]:
    conversation.save(session, actor.telegram_id, State("last_name", {"after": after}))
    return [question(session, State("last_name"))]


def question(session: Session, state: State, *, edit: bool = False) -> Reply:
    """The question of ``state.step``, with its buttons."""
    step, data = state.step, state.data
    if step == "email_confirm":
        buttons = [[(label("email_ok"), "pe:y"), (label("email_retype"), "pe:n")]]
        return Reply(say("ask.email_confirm", email=data["email"]), buttons, edit=edit)
    if step == "email_code":
        return Reply(say("ask.email_code"), [[(label("other_email"), "pk:other")]], edit=edit)
    if step == "profile":
        choices = [(profile.name, f"pp:{profile.id}") for profile in reference.profiles(session)]
        return Reply(say("ask.profile"), _rows(choices, 2), edit=edit)
    if step == "structure_type":
        buttons = structure.choices(session, prefix="py", skippable=False)
        return Reply(say("ask.structure_type"), buttons, edit=edit)
    if step == "departement":
        return Reply(
            say("ask.departement"),
            _departement_buttons(session, data.get("dep_page", 0)),
            edit=edit,
        )
    if step == "phone":
        return Reply(say("ask.phone"), [[(label("skip"), "ps")]], edit=edit)
    if step == "consent":
        text = page(
            "consent.html",
            organisation=get_settings().organisation_name,
            privacy_url=get_settings().privacy_url,
            phone=bool(data.get("phone")),
        )
        buttons = [[(label("consent_yes"), "pc:y"), (label("consent_no"), "pc:n")]]
        return Reply(text, buttons, edit=edit)
    return Reply(say(f"ask.{step}"), edit=edit)


def _rows(choices: list[Button], width: int) -> list[list[Button]]:
    return [choices[index : index + width] for index in range(0, len(choices), width)]


def _departement_buttons(session: Session, page_number: int) -> list[list[Button]]:
    all_departements = reference.departements(session)
    pages = max(1, -(-len(all_departements) // DEPARTEMENTS_PER_PAGE))
    page_number = page_number % pages
    start = page_number * DEPARTEMENTS_PER_PAGE
    shown = all_departements[start : start + DEPARTEMENTS_PER_PAGE]
    rows = _rows([(f"{d.code} {d.name}"[:24], f"pd:{d.code}") for d in shown], 2)
    rows.append([(label("more"), f"pdp:{(page_number + 1) % pages}")])
    return rows


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


def _parse(session: Session, step: str, text: str) -> Any:
    """The typed answer for ``step``, cleaned, or InvalidInput / UseButtons."""
    if step in ("last_name", "first_name"):
        return people.clean_name(text, FIELD_NAMES[step])
    if step == "email":
        return people.normalize_email(text)
    if step == "organisation":
        return people.clean_name(text, "structure", people.MAX_ORGANISATION)
    if step == "phone":
        return people.clean_phone(text)
    if step == "departement":
        return _find_departement(session, text)
    if step == "profile":
        profile = reference.find_profile(session, text)
        if profile is None:
            raise UseButtons
        return profile.id
    if step == "structure_type":
        kind = reference.match_structure_type(session, text)
        if kind is None:
            raise UseButtons
        return kind.id
    raise UseButtons


STORED_AS = {"profile": "profile_id", "structure_type": "structure_type_id"}


def answer_text(actor: Actor, text: str) -> list[Reply] | None:
    """The typed answer to the current step, or None when no conversation is going on."""
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is None:
            return None
        if state.step in TEXT_STEPS:
            return TEXT_STEPS[state.step](session, actor, state, text)
        limit = LIMITS.get(state.step)
        if limit is not None and len(text.strip()) > limit:
            return [Reply(say("invalid.too_long", limit=limit)), question(session, state)]
        if state.step == "email_code":
            return _check_code(session, actor, state, text)
        try:
            value = _parse(session, state.step, text)
        except UseButtons:
            return [Reply(say("invalid.use_buttons")), question(session, state)]
        except UnknownDepartement:
            reply = Reply(say("invalid.departement", value=text.strip()[:40]))
            return [reply, question(session, state)]
        except InvalidInput as error:
            return [Reply(problem(error)), question(session, state)]
        state.data[STORED_AS.get(state.step, state.step)] = value
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


class Stale(Exception):
    """A button from an older message: the conversation moved on (or never was)."""


def answer_button(actor: Actor, step: str, value: str) -> list[Reply]:
    """A tap on a step's button; raises Stale when that step is not the current one."""
    after: dict[str, int] | None = None
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is None or state.step != step:
            raise Stale
        if step == "email_confirm" and value == "y":
            if emailcode.needs_proof(session, state.data["email"], actor.telegram_id):
                try:
                    emailcode.send_code(session, state.data["email"], state.data)
                except emailcode.TooManyCodes:
                    state.step = "email"
                    conversation.save(session, actor.telegram_id, state)
                    return [Reply(say("invalid.too_many_codes"), edit=True)]
                state.step = "email_code"
                conversation.save(session, actor.telegram_id, state)
                return [question(session, state, edit=True)]
            return [_advance(session, actor, state, edit=True)]
        if step in ("email_confirm", "email_code"):
            state.step = "email"
            conversation.save(session, actor.telegram_id, state)
            return [question(session, state)]
        if step == "profile":
            profile_ids = {p.id for p in reference.profiles(session)}
            if identifiers.number(value) not in profile_ids:
                raise Stale
            state.data["profile_id"] = identifiers.number(value)
            return [_advance(session, actor, state, edit=True)]
        if step == "structure_type":
            kind = reference.structure_type(session, identifiers.number(value))
            if kind is None:
                raise Stale
            state.data["structure_type_id"] = kind.id
            return [_advance(session, actor, state, edit=True)]
        if step == "departement" and value.startswith("page:"):
            state.data["dep_page"] = identifiers.number(value[5:])
            conversation.save(session, actor.telegram_id, state)
            return [question(session, state, edit=True)]
        if step == "departement":
            if session.get(Departement, value) is None:
                raise Stale
            state.data["departement"] = value
            return [_advance(session, actor, state, edit=True)]
        if step == "phone":
            state.data["phone"] = None
            return [_advance(session, actor, state, edit=True)]
        if value != "y":
            conversation.clear(session, actor.telegram_id)
            return [Reply(say("consent_refused"), edit=True)]
        person = _save(session, actor, state.data)
        after = state.data.get("after")
        saved = Reply(say("profile_saved", first_name=person.first_name), edit=True)
    if not after:
        saved.buttons = [[(label("events"), "l:0:::"), (label("menu"), "m")]]
    return [saved, *perform(actor, after)]


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
    for key, action in AFTER.items():
        if key in after:
            return action(actor, after[key])
    if "series" in after:
        return register_cycle(actor, after["series"])
    return register_event(actor, after["event"])


def _after_buttons() -> list[list[Button]]:
    return [[(label("not_me"), "me")], [(label("mine"), "mine"), (label("menu"), "m")]]


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
            return [*_outcome_replies(outcome, person), *structure.ask_once(session, person)]
    except DomainError as error:
        return [Reply(problem(error), [[(label("events"), "l:0:::"), (label("menu"), "m")]])]


def _outcome_replies(outcome: Outcome, person: Person) -> list[Reply]:
    event = outcome.event
    if not outcome.confirmed:
        text = say("waitlisted", title=event.title, position=outcome.position or 0)
        return [Reply(text, _after_buttons())]
    text = page("confirmation.html", event=event, place=events.place_label(event), person=person)
    return [
        Reply(text, _after_buttons()),
        Reply(say("ics_caption", title=event.title), document=invitation(event, person)),
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
                Reply(say("ics_caption", title=o.event.title), document=invitation(o.event, person))
                for o in outcomes
                if o.confirmed
            ]
            return [Reply(text, _after_buttons()), *documents, *structure.ask_once(session, person)]
    except DomainError as error:
        return [Reply(problem(error), [[(label("events"), "l:0:::"), (label("menu"), "m")]])]


def restart_profile(actor: Actor) -> list[Reply]:
    """« Ce n'est plus moi / modifier »: the questions again; the new answers replace the old."""
    with session_scope() as session:
        return begin(session, actor, None)


def cancel(actor: Actor) -> bool:
    with session_scope() as session:
        return conversation.clear(session, actor.telegram_id)
