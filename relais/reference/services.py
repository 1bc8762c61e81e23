"""Reading the reference lists, in the order people expect to see them."""

from __future__ import annotations

import unicodedata

from sqlmodel import Session, col, select

from relais.errors import InvalidInput
from relais.reference.models import Departement, Profile, StructureType, Theme

#: Words the import files use for the seeded types (normalised by :func:`plain`), and
#: the values of the former ``organisation.kind``. Only used when that type still exists.
STRUCTURE_ALIASES = {
    "Collectivité territoriale": (
        "collectivite", "collectivites", "collectivitelocale", "commune", "mairie", "ville",
        "epci", "intercommunalite", "agglomeration", "metropole", "departement",
        "conseildepartemental", "region", "conseilregional", "ccas", "localauthority",
        "municipality", "localgovernment",
    ),
    "Services de l'État": (
        "etat", "servicesdeletat", "servicedeletat", "prefecture", "sousprefecture", "ddets",
        "dreets", "anct", "deleguedesprefet", "state", "stateservices", "government",
    ),
    "Association": ("asso", "associatif", "centresocial", "ngo", "nonprofit", "charity"),
    "Bailleur social": ("bailleur", "bailleurs", "hlm", "oph", "esh", "sociallandlord", "housing"),
    "Établissement scolaire / Éducation nationale": (
        "education", "educationnationale", "etablissementscolaire", "ecole", "college", "lycee",
        "rectorat", "academie", "school",
    ),
    "Entreprise": ("societe", "company", "business", "private", "privatecompany"),
    "Organisme public (CAF, France Travail…)": (
        "organismepublic", "caf", "francetravail", "poleemploi", "cpam", "ars", "missionlocale",
        "publicbody",
    ),
    "Habitant": ("habitante", "habitants", "resident", "citizen", "citoyen"),
    "Autre": ("other", "divers"),
}  # fmt: skip


def themes(session: Session) -> list[Theme]:
    return list(session.exec(select(Theme).where(Theme.active).order_by(col(Theme.name))))


def profiles(session: Session) -> list[Profile]:
    return list(session.exec(select(Profile).where(Profile.active).order_by(col(Profile.id))))


def structure_types(session: Session) -> list[StructureType]:
    """The active types of structure, « Autre » last: what every channel offers to choose from.

    The bot's profile steps, the public web form and the coordinators' tools
    all list the choices with this function, so they always agree.
    """
    return list(
        session.exec(
            select(StructureType)
            .where(StructureType.active)
            .order_by(col(StructureType.listed_last), col(StructureType.id))
        )
    )


def structure_type(session: Session, type_id: int | None) -> StructureType | None:
    """The type of that id if it is still offered (a stale button or form gives None)."""
    if type_id is None:
        return None
    found = session.get(StructureType, type_id)
    return found if found is not None and found.active else None


def plain(text: str) -> str:
    """Lower case, no accents, letters and digits only: how import files are compared."""
    stripped = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in stripped.lower() if ch.isalnum())


def match_structure_type(session: Session, text: str) -> StructureType | None:
    """The type a file or a person wrote: its name, a usual word for it, or a unique start.

    « Collectivité », « mairie », « CAF », « etat » (the former kinds) are
    understood; an unknown or ambiguous word gives None and the caller says so.
    """
    wanted = plain(text)
    if not wanted:
        return None
    known = structure_types(session)
    by_name = {plain(item.name): item for item in known}
    if wanted in by_name:
        return by_name[wanted]
    for name, aliases in STRUCTURE_ALIASES.items():
        if wanted in aliases and plain(name) in by_name:
            return by_name[plain(name)]
    starting = [
        item for key, item in by_name.items() if len(wanted) >= 4 and key.startswith(wanted)
    ]
    return starting[0] if len(starting) == 1 else None


def structure_type_named(session: Session, name: str) -> StructureType:
    """The type of structure a coordinator typed, or a French error listing the possible ones."""
    found = match_structure_type(session, name)
    if found is None:
        choices = ", ".join(known.name for known in structure_types(session))
        raise InvalidInput("unknown_structure_type", value=name[:60], choices=choices)
    return found


def departements(session: Session) -> list[Departement]:
    return list(session.exec(select(Departement).order_by(col(Departement.code))))


def find_theme(session: Session, name: str) -> Theme | None:
    wanted = name.strip().casefold()
    return next((theme for theme in themes(session) if theme.name.casefold() == wanted), None)


def find_profile(session: Session, name: str) -> Profile | None:
    wanted = name.strip().casefold()
    return next((p for p in profiles(session) if p.name.casefold() == wanted), None)


def theme_named(session: Session, name: str) -> Theme:
    """The theme of that name, or a French error listing the possible ones."""
    theme = find_theme(session, name)
    if theme is None:
        choices = ", ".join(known.name for known in themes(session))
        raise InvalidInput("unknown_theme", value=name[:60], choices=choices)
    return theme


def profile_named(session: Session, name: str) -> Profile:
    """The professional profile of that name, or a French error listing the possible ones."""
    profile = find_profile(session, name)
    if profile is None:
        choices = ", ".join(known.name for known in profiles(session))
        raise InvalidInput("unknown_profile", value=name[:60], choices=choices)
    return profile
