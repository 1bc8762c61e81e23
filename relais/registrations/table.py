"""The registrations of one event as a coordinator's table: searched, filtered, sorted.

The rows are those of the export (:func:`relais.registrations.export.lines`),
so what a coordinator sees on screen is exactly what the XLSX, the CSV and
the émargement of the same filters contain.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from relais.networks.models import NetworkMember
from relais.registrations.export import STATUS_ORDER, Line, lines
from relais.registrations.models import RegistrationStatus

SORTS = ("statut", "nom", "structure", "profil", "departement", "date")


@dataclass(frozen=True)
class TableFilters:
    text: str = ""
    status: RegistrationStatus | None = None
    profile_id: int | None = None
    departement: str = ""
    structure: str = ""
    #: Only the members of this network (the coordinator's choice, checked by the caller).
    network_id: int | None = None
    sort: str = "statut"
    descending: bool = False


def _plain(text: str) -> str:
    """Lower case without accents, so « benali » finds « Bénali »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _matches(line: Line, filters: TableFilters, words: list[str]) -> bool:
    person = line.person
    if filters.status is not None and line.registration.status != filters.status:
        return False
    if filters.profile_id is not None and person.profile_id != filters.profile_id:
        return False
    if filters.departement and person.departement_code != filters.departement:
        return False
    if filters.structure and _plain(filters.structure) not in _plain(line.organisation):
        return False
    if not words:
        return True
    haystack = _plain(" ".join((person.last_name, person.first_name, person.email or "")))
    return all(word in haystack for word in words)


def _key(line: Line, sort: str) -> tuple[object, ...]:
    person = line.person
    if sort == "statut":
        return (STATUS_ORDER[line.registration.status], line.position or 0, person.id or 0)
    name = (_plain(person.last_name), _plain(person.first_name))
    if sort == "nom":
        return name
    if sort == "structure":
        return (_plain(line.organisation), *name)
    if sort == "profil":
        return (_plain(line.profile), *name)
    if sort == "departement":
        return (person.departement_code or "", *name)
    if sort == "date":
        return (line.registration.created_at, line.registration.id or 0)
    return name


def rows(session: Session, event_id: int, filters: TableFilters) -> list[Line]:
    words = _plain(filters.text).split()[:10]
    found = [line for line in lines(session, event_id) if _matches(line, filters, words)]
    if filters.network_id is not None:
        members = set(
            session.exec(
                select(NetworkMember.person_id).where(
                    NetworkMember.network_id == filters.network_id
                )
            )
        )
        found = [line for line in found if line.person.id in members]
    sort = filters.sort if filters.sort in SORTS else "statut"
    found.sort(key=lambda line: _key(line, sort), reverse=filters.descending)
    return found
