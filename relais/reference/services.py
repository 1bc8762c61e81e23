"""Reading the reference lists, in the order people expect to see them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from relais.errors import InvalidInput
from relais.reference.models import Departement, Profile, Theme


def themes(session: Session) -> list[Theme]:
    return list(session.exec(select(Theme).where(Theme.active).order_by(col(Theme.name))))


def profiles(session: Session) -> list[Profile]:
    return list(session.exec(select(Profile).where(Profile.active).order_by(col(Profile.id))))


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
