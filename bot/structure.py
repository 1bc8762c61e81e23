"""The type of structure for people the bot already knows: asked once, changed in /profil.

People who registered before the question existed are asked right after
their next registration, so it never delays or blocks one: a tap answers,
« Passer » is remembered and the question is not asked again. The buttons
carry the choice itself (no conversation step), so an old question still
works days later, and /profil reuses the same buttons.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import buttons
from bot.actor import Actor, linked_person
from bot.texts import Button, Reply, label, say
from relais import identifiers
from relais.db import session_scope
from relais.people import services as people
from relais.people.models import Person
from relais.reference import services as reference

SKIP = "skip"


class Stale(Exception):
    """A choice no longer offered, or a person the bot no longer knows."""


def choices(session: Session, *, route: tuple[str, ...], skippable: bool) -> list[list[Button]]:
    """One type per row (the names are long), « Autre » last, then « Passer » if allowed."""
    rows = [
        [(kind.name, buttons.data(*route, kind.id))] for kind in reference.structure_types(session)
    ]
    if skippable:
        rows.append([(label("skip"), buttons.data(*route, SKIP))])
    return rows


def ask_once(session: Session, person: Person) -> list[Reply]:
    """The one-time question, or nothing when the person answered or declined before."""
    if not people.needs_structure_type(person):
        return []
    return [Reply(say("structure.ask_once"), choices(session, route=("type",), skippable=True))]


def ask_change(actor: Actor) -> list[Reply]:
    """From /profil: the same choices, without « Passer »."""
    with session_scope() as session:
        if linked_person(session, actor.telegram_id) is None:
            raise Stale
        return [Reply(say("structure.change"), choices(session, route=("type",), skippable=False))]


def choose(actor: Actor, value: str) -> list[Reply]:
    """A tap on one of the types, or on « Passer »."""
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        if person is None or person.id is None:
            raise Stale
        if value == SKIP:
            people.decline_structure_type(session, person.id, actor.audit)
            return [Reply(say("structure.declined"), edit=True)]
        chosen = reference.structure_type(session, identifiers.number(value))
        if chosen is None:
            raise Stale
        people.set_structure_type(session, person.id, chosen.id, actor.audit)
        return [Reply(say("structure.saved", name=chosen.name), edit=True)]
