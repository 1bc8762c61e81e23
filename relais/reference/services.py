"""Reading the reference lists, in the order people expect to see them."""

from __future__ import annotations

from sqlmodel import Session, col, select

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
