"""Coordinators edit the reference lists: types of structure, professional profiles, themes.

An entry is never deleted: people, events and past figures point to it.
Retiring it hides it from the choices (bot, web form, imports) while the
yearly figures still show it; renaming it renames it everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from relais import audit
from relais.errors import InvalidInput
from relais.events.models import Event
from relais.people.models import Person
from relais.reference.models import Profile, StructureType, Theme

MAX_NAME = 120


@dataclass(frozen=True)
class ReferenceList:
    """One editable list: its table and the column that points to it (to count uses)."""

    key: str
    model: Any
    used_by: Any


LISTS = {
    "structures": ReferenceList("structures", StructureType, Person.structure_type_id),
    "profils": ReferenceList("profils", Profile, Person.profile_id),
    "thematiques": ReferenceList("thematiques", Theme, Event.theme_id),
}


def reference_list(key: str) -> ReferenceList:
    found = LISTS.get(key.strip().lower().replace("é", "e"))
    if found is None:
        raise InvalidInput("reference_unknown_list", value=key[:40], choices=", ".join(LISTS))
    return found


def entries(session: Session, chosen: ReferenceList) -> list[tuple[Any, int]]:
    """Every entry, retired ones included, with how many rows use it, in the choices' order."""
    model = chosen.model
    order = [col(model.listed_last), col(model.id)] if model is StructureType else [col(model.id)]
    query = (
        sa.select(chosen.used_by, sa.func.count())
        .where(chosen.used_by.is_not(None))
        .group_by(chosen.used_by)
    )
    uses: dict[Any, int] = {row[0]: int(row[1]) for row in session.execute(query).all()}
    return [
        (entry, uses.get(entry.id, 0)) for entry in session.exec(select(model).order_by(*order))
    ]


def _clean(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise InvalidInput("field_empty", field="nom")
    if len(text) > MAX_NAME:
        raise InvalidInput("field_too_long", field="nom", limit=MAX_NAME)
    return text


def _named(session: Session, chosen: ReferenceList, name: str) -> Any:
    wanted = " ".join(name.split()).casefold()
    for entry, _uses in entries(session, chosen):
        if entry.name.casefold() == wanted:
            return entry
    names = ", ".join(entry.name for entry, _uses in entries(session, chosen))
    raise InvalidInput("reference_unknown_entry", value=name[:60], choices=names)


def _refuse_duplicate(session: Session, chosen: ReferenceList, name: str, keep: Any = None) -> None:
    for entry, _uses in entries(session, chosen):
        if entry.name.casefold() == name.casefold() and entry is not keep:
            raise InvalidInput("reference_exists", value=name)


def add(session: Session, key: str, name: str, actor: str) -> Any:
    """A new entry, offered at once (a type of structure goes before « Autre »)."""
    chosen = reference_list(key)
    clean = _clean(name)
    _refuse_duplicate(session, chosen, clean)
    entry = chosen.model(name=clean)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "reference.added", chosen.key, entry.id, name=clean)
    return entry


def rename(session: Session, key: str, old: str, new: str, actor: str) -> Any:
    chosen = reference_list(key)
    entry = _named(session, chosen, old)
    clean = _clean(new)
    _refuse_duplicate(session, chosen, clean, keep=entry)
    previous, entry.name = entry.name, clean
    session.add(entry)
    session.flush()
    audit.record(session, actor, "reference.renamed", chosen.key, entry.id, old=previous, new=clean)
    return entry


def set_active(session: Session, key: str, name: str, active: bool, actor: str) -> Any:
    """Retire (hide from the choices) or bring back an entry; the catch-all stays."""
    chosen = reference_list(key)
    entry = _named(session, chosen, name)
    if not active and getattr(entry, "listed_last", False):
        raise InvalidInput("reference_keep_other", value=entry.name)
    entry.active = active
    session.add(entry)
    session.flush()
    action = "reference.enabled" if active else "reference.disabled"
    audit.record(session, actor, action, chosen.key, entry.id, name=entry.name)
    return entry
