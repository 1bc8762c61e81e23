"""The lists the forms offer (profils, types de structure, départements), kept a minute per process.

They change a few times a year but every form shows them: reading 100
départements as ORM rows on each page would cost more than the rest of it.
"""

from __future__ import annotations

import threading
import time

from sqlmodel import Session, col, select

from relais.reference import services as reference
from relais.reference.models import Departement, Profile

TTL_SECONDS = 60.0
Options = list[tuple[str, str]]
_cache: dict[str, tuple[float, Options]] = {}
_lock = threading.Lock()


def options(session: Session, name: str) -> Options:
    """One list (``profil``, ``type_structure`` or ``departement``) as the form offers it."""
    now = time.monotonic()
    with _lock:
        found = _cache.get(name)
        if found is not None and now - found[0] < TTL_SECONDS:
            return found[1]
    offered = _read(name, session)
    with _lock:
        _cache[name] = (now, offered)
    return offered


def _read(name: str, session: Session) -> Options:
    """One list as (value, label) pairs, in the order the form shows them."""
    if name == "profil":
        profiles = session.exec(
            select(Profile.id, Profile.name).where(col(Profile.active)).order_by(col(Profile.id))
        )
        return [(str(number), label) for number, label in profiles]
    if name == "type_structure":
        # « Autre » last, as every channel lists them (the core's order)
        return [(str(kind.id), kind.name) for kind in reference.structure_types(session)]
    departements = session.exec(
        select(Departement.code, Departement.name).order_by(Departement.code)
    )
    return [(code, f"{code} {label}") for code, label in departements]


def form_choices(session: Session) -> dict[str, Options]:
    return {
        "profile_options": options(session, "profil"),
        "structure_type_options": options(session, "type_structure"),
        "departement_options": options(session, "departement"),
    }


def clear() -> None:
    with _lock:
        _cache.clear()
