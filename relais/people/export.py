"""The right of access: everything Relais holds about a person, written for that person.

The core builds the whole file, so the web page and the bot hand over the same
one. Keys and values are French words a person can read: names rather than
ids, states as words, dates as « mardi 8 avril 2025, 9 h 30 » (an event's start
also in ISO 8601, for a calendar or a spreadsheet). What a channel keeps of its
own (the e-mails sent, the bot's conversation, the newsletter subscription)
comes from the exporter it registers with :func:`register_exporter`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from relais.attendance.models import Attendance
from relais.events.models import Event, EventStatus
from relais.events.services import place_label
from relais.i18n import has, t
from relais.people.models import Consent, Organisation, Person
from relais.people.services import get
from relais.reference.models import Departement, Profile, StructureType
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.satisfaction.models import SatisfactionAnswer
from relais.timefmt import format_datetime, format_range, local, utcnow

#: The name of the file the person receives, whatever the channel.
FILENAME = "mes-donnees.json"

Exporter = Callable[[Session, int], Any]
_exporters: dict[str, Exporter] = {}

#: How a consent given on a form was recorded: the channel, then the privacy notice shown.
_NOTICE = re.compile(r"^[\w-]+; notice: (?P<url>.*)$")


def register_exporter(name: str, exporter: Exporter) -> None:
    """Let a channel add what it keeps of its own about a person, under ``name``."""
    _exporters[name] = exporter


@dataclass(frozen=True)
class ProfileView:
    """The stored profile in words: names of the structure, type, trade and département."""

    last_name: str
    first_name: str
    email: str | None
    phone: str | None
    structure: str | None
    structure_type: str | None
    profile: str | None
    departement: str | None


def profile_view(session: Session, person: Person) -> ProfileView:
    """What the person told us, as they would say it (shown on « Mes inscriptions » too)."""
    organisation = (
        session.get(Organisation, person.organisation_id) if person.organisation_id else None
    )
    kind = (
        session.get(StructureType, person.structure_type_id) if person.structure_type_id else None
    )
    trade = session.get(Profile, person.profile_id) if person.profile_id else None
    departement = (
        session.get(Departement, person.departement_code) if person.departement_code else None
    )
    return ProfileView(
        last_name=person.last_name,
        first_name=person.first_name,
        email=person.email,
        phone=person.phone,
        structure=organisation.name if organisation else None,
        structure_type=kind.name if kind else None,
        profile=trade.name if trade else None,
        departement=f"{departement.code} {departement.name}" if departement else None,
    )


def when(moment: datetime | None) -> str | None:
    """A stored moment as a person reads it, in the display time zone."""
    return format_datetime(moment) if moment is not None else None


def yes_no(value: bool) -> str:
    return t("data_export.yes") if value else t("data_export.no")


def channel_label(channel: str) -> str:
    """« site web », « Telegram »…: the way in, in words (an unknown one as stored)."""
    key = f"data_export.channels.{channel}"
    return t(key) if has(key) else channel


def export(session: Session, person_id: int) -> dict[str, Any]:
    """Everything stored about a person (RGPD right of access), as plain JSON values."""
    person = get(session, person_id)
    data: dict[str, Any] = {
        "exporte_le": when(utcnow()),
        "personne": _person(session, person),
        "consentements": _consents(session, person_id),
        "inscriptions": _registrations(session, person_id),
        "avis": _answers(session, person_id),
    }
    for name, exporter in sorted(_exporters.items()):
        data[name] = exporter(session, person_id)
    return data


def export_json(session: Session, person_id: int) -> bytes:
    """The file handed to the person: indented UTF-8 JSON, accents as they are."""
    return json.dumps(export(session, person_id), ensure_ascii=False, indent=2).encode()


def _person(session: Session, person: Person) -> dict[str, Any]:
    view = profile_view(session, person)
    return {
        "nom": view.last_name,
        "prenom": view.first_name,
        "adresse_e_mail": view.email,
        "adresse_e_mail_en_erreur": yes_no(person.email_invalid),
        "telephone": view.phone,
        "structure": view.structure,
        "type_de_structure": view.structure_type,
        "question_du_type_de_structure_passee_le": when(person.structure_type_declined_at),
        "profil_professionnel": view.profile,
        "departement": view.departement,
        "cree_le": when(person.created_at),
        "modifie_le": when(person.updated_at),
    }


def _consents(session: Session, person_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Consent)
        .where(Consent.person_id == person_id)
        .order_by(col(Consent.recorded_at), col(Consent.id))
    )
    return [
        {
            "objet": t(f"data_export.purposes.{consent.purpose.value}"),
            "accorde": yes_no(consent.granted),
            "canal": channel_label(consent.channel),
            **_consent_source(consent.source),
            "enregistre_le": when(consent.recorded_at),
        }
        for consent in rows
    ]


def _consent_source(source: str) -> dict[str, str | None]:
    """The privacy notice shown when the consent was given, or the stored detail as it is."""
    notice = _NOTICE.match(source)
    if notice is None:
        return {"precision": source or None}
    url = notice.group("url").strip()
    return {
        "notice_de_protection_des_donnees": url
        if url not in ("", "-")
        else t("data_export.no_notice")
    }


def _registrations(session: Session, person_id: int) -> list[dict[str, Any]]:
    """Every registration, waiting-list place and cancellation, with attendance when recorded."""
    rows = session.exec(
        select(Registration, Event, Attendance)
        .join(Event, col(Event.id) == Registration.event_id)
        .outerjoin(
            Attendance,
            (col(Attendance.event_id) == Registration.event_id)
            & (col(Attendance.person_id) == Registration.person_id),
        )
        .where(Registration.person_id == person_id)
        .order_by(col(Event.starts_at), col(Registration.id))
    ).all()
    return [_registration(session, registration, event, mark) for registration, event, mark in rows]


def _registration(
    session: Session, registration: Registration, event: Event, mark: Attendance | None
) -> dict[str, Any]:
    waiting = registration.status == RegistrationStatus.WAITLISTED
    return {
        "rencontre": event.title,
        "date": format_range(event.starts_at, event.ends_at),
        "debut": local(event.starts_at).isoformat(timespec="minutes"),
        "fin": local(event.ends_at).isoformat(timespec="minutes"),
        "lieu": place_label(event),
        "rencontre_annulee": yes_no(event.status == EventStatus.CANCELLED),
        "etat": t(f"labels.registration_statuses.{registration.status.value}"),
        "position_sur_la_liste_d_attente": (
            registrations.position(session, registration) if waiting else None
        ),
        "canal": channel_label(registration.source),
        "inscrit_le": when(registration.created_at),
        "confirmee_le": when(registration.confirmed_at),
        "annulee_le": when(registration.cancelled_at),
        "presence": t(f"presence.statuses.{mark.status.value}") if mark else None,
        "presence_relevee_le": when(mark.recorded_at) if mark else None,
    }


def _answers(session: Session, person_id: int) -> list[dict[str, Any]]:
    """The satisfaction survey answers, with the comment as written."""
    rows = session.exec(
        select(SatisfactionAnswer, Event)
        .join(Event, col(Event.id) == SatisfactionAnswer.event_id)
        .where(SatisfactionAnswer.person_id == person_id)
        .order_by(col(Event.starts_at))
    ).all()
    return [
        {
            "rencontre": event.title,
            "note_sur_5": answer.rating,
            "commentaire": answer.comment or None,
            "repondu_le": when(answer.updated_at),
        }
        for answer, event in rows
    ]
