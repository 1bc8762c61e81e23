"""Profiles, the data export and the right to erasure."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from relais.attendance import services as attendance
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.errors import InvalidInput, NotFound
from relais.events import services as events
from relais.networks import services as networks
from relais.people import export as data_export
from relais.people import services as people
from relais.people.erasure import erase
from relais.people.models import Consent, ConsentPurpose, Person
from relais.plugins import subscribe_all
from relais.reference import services as reference
from relais.registrations import services as registrations
from relais.registrations.models import RegistrationStatus
from relais.satisfaction import services as satisfaction
from relais.timefmt import format_range, local, utcnow
from tests.factories import make_event, make_person


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Nadia.Benali@Exemple.FR ", "nadia.benali@exemple.fr"), ("a@b.fr", "a@b.fr")],
)
def test_emails_are_normalised(raw: str, expected: str) -> None:
    assert people.normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "nadia", "nadia@", "@exemple.fr", "a b@c.fr", "x" * 250 + "@a.fr"]
)
def test_bad_emails_get_a_french_message(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        people.normalize_email(raw)
    assert "adresse" in caught.value.message


def test_same_email_updates_the_same_person(session: Session) -> None:
    first = make_person(session, email="karim@exemple.fr", telegram_id=111)
    again = people.save_profile(
        session, email="KARIM@exemple.fr", first_name="Karim", last_name="D.", telegram_id=111
    )
    session.commit()
    assert again.id == first.id
    assert len(session.exec(select(Person)).all()) == 1


def test_telegram_account_moves_to_the_new_profile(session: Session) -> None:
    old = make_person(session, telegram_id=222)
    new = make_person(session, telegram_id=222)
    session.refresh(old)
    assert (old.telegram_id, new.telegram_id) == (None, 222)


def test_names_are_length_limited(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        people.save_profile(session, email="a@b.fr", first_name="A" * 101, last_name="B")
    assert "100" in caught.value.message


def test_export_contains_everything_and_is_json(session: Session) -> None:
    person = make_person(session, organisation="Ville de Bondy", phone="06 12 34 56 78")
    people.record_consent(session, person.id, ConsentPurpose.REGISTRATION, "telegram")
    event = make_event(session)
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    data = data_export.export(session, person.id)
    text = json.dumps(data, ensure_ascii=False)
    assert person.email in text and "Ville de Bondy" in text and "0612345678" in text
    assert data["consentements"][0]["canal"] == "Telegram"
    assert data["personne"]["type_de_structure"] is None


def test_export_lists_every_registration_in_french_words(session: Session) -> None:
    """Confirmed, waiting and cancelled places, attendance and answers; names, not ids;
    French keys and values (the file is read by the person, not by a program)."""
    subscribe_all()
    association = reference.structure_type_named(session, "Association")
    trade = reference.profiles(session)[0]
    person = make_person(
        session, organisation="Centre social Espoir", structure_type_id=association.id,
        profile_id=trade.id, departement_code="93",
    )  # fmt: skip
    other = make_person(session)
    full = make_event(session, title="Atelier écriture", capacity=1)
    left = make_event(session, title="Rencontre PRE")
    past = make_event(session, title="Webinaire santé", starts_at=utcnow() + timedelta(hours=1))
    registrations.register(session, full.id, other.id, source="test")
    waiting = registrations.register(session, full.id, person.id, source="web").registration
    cancelled = registrations.register(session, left.id, person.id, source="telegram").registration
    registrations.register(session, past.id, person.id, source="coordinateur")
    people.record_consent(
        session, person.id, ConsentPurpose.REGISTRATION, "web", "web; notice: https://crpv.fr/rgpd"
    )
    session.commit()
    registrations.cancel(session, cancelled.id, "test")
    events.update(
        session, past.id,
        {"starts_at": utcnow() - timedelta(hours=3), "ends_at": utcnow() - timedelta(hours=1)},
        "test",
    )  # fmt: skip
    attendance.mark(session, past.id, [person.id], AttendanceStatus.PRESENT, "test")
    satisfaction.answer(session, past.id, person.id, 4, "Utile", channel="web")
    session.commit()

    data = data_export.export(session, person.id)
    assert data["personne"]["structure"] == "Centre social Espoir"
    assert data["personne"]["type_de_structure"] == "Association"
    assert data["personne"]["profil_professionnel"] == trade.name
    assert data["personne"]["departement"] == "93 Seine-Saint-Denis"
    rows = {row["rencontre"]: row for row in data["inscriptions"]}
    assert set(rows) == {"Atelier écriture", "Rencontre PRE", "Webinaire santé"}
    assert rows["Atelier écriture"]["etat"] == "liste d'attente"
    assert rows["Atelier écriture"]["position_sur_la_liste_d_attente"] == 1
    assert rows["Atelier écriture"]["canal"] == "site web"
    assert rows["Rencontre PRE"]["etat"] == "annulée" and rows["Rencontre PRE"]["annulee_le"]
    assert rows["Rencontre PRE"]["canal"] == "Telegram"
    done = rows["Webinaire santé"]
    assert (done["etat"], done["presence"], done["canal"]) == (
        "confirmée",
        "présent·e",
        "par l'équipe",
    )
    assert done["date"] == format_range(past.starts_at, past.ends_at)
    assert done["debut"].startswith(str(local(past.starts_at).date()))
    assert [(a["rencontre"], a["note_sur_5"]) for a in data["avis"]] == [("Webinaire santé", 4)]
    [consent] = data["consentements"]
    assert consent["objet"] == "inscription aux rencontres" and consent["accorde"] == "oui"
    assert consent["notice_de_protection_des_donnees"] == "https://crpv.fr/rgpd"
    assert waiting.id and cancelled.id

    text = json.dumps(data, ensure_ascii=False)
    english = ("first_name", "last_name", "profile_id", "structure_type", "purpose", "_id",
               "registration", "waitlisted", "confirmed", "cancelled", "present", "notice:",
               '"sent"', "pending", "true", "false")  # fmt: skip
    assert [word for word in english if word in text] == []


def test_structure_type_is_checked_and_declining_is_remembered(session: Session) -> None:
    person = make_person(session)
    assert people.needs_structure_type(person)
    with pytest.raises(InvalidInput) as caught:
        people.set_structure_type(session, person.id, 9999)
    assert "n'est plus proposé" in caught.value.message and "Autre" in caught.value.message
    habitant = reference.structure_type_named(session, "habitant")
    people.set_structure_type(session, person.id, habitant.id)
    assert not people.needs_structure_type(person)
    assert data_export.export(session, person.id)["personne"]["type_de_structure"] == "Habitant"
    other = make_person(session)
    people.decline_structure_type(session, other.id)
    assert not people.needs_structure_type(other) and other.structure_type_id is None
    with pytest.raises(InvalidInput) as unknown:
        reference.structure_type_named(session, "Martiens")
    assert "« Martiens » inconnu" in unknown.value.message


def test_erasure_keeps_anonymous_attendance_and_frees_seats(session: Session) -> None:
    past = make_event(session, starts_at=utcnow() + timedelta(days=1))
    future = make_event(session, capacity=1)
    association = reference.structure_type_named(session, "Association")
    person = make_person(
        session, phone="0612345678", telegram_id=333, structure_type_id=association.id
    )
    waiting = make_person(session)
    network = networks.create(session, "Réseau test", "test")
    networks.add_member(session, network.id, person.id, "test")
    people.record_consent(session, person.id, ConsentPurpose.REGISTRATION, "telegram")
    registrations.register(session, past.id, person.id, source="test")
    registrations.register(session, future.id, person.id, source="test")
    registrations.register(session, future.id, waiting.id, source="test")
    session.commit()
    events.update(
        session,
        past.id,
        {"starts_at": utcnow() - timedelta(hours=3), "ends_at": utcnow() - timedelta(hours=1)},
        "test",
    )
    attendance.record(
        session, past.id, person.id, AttendanceStatus.PRESENT, AttendanceMethod.CLI, "test"
    )
    session.commit()

    erase(session, person.id, f"person:{person.id}")
    session.commit()

    session.refresh(person)
    assert (person.email, person.phone, person.telegram_id, person.first_name) == (
        None,
        None,
        None,
        "",
    )
    assert person.erased_at is not None
    assert person.structure_type_id == association.id  # still counted by type, anonymously
    assert session.exec(select(Consent).where(Consent.person_id == person.id)).all() == []
    assert networks.members(session, network.id) == []
    kept = session.exec(select(Attendance).where(Attendance.person_id == person.id)).one()
    assert kept.status == AttendanceStatus.PRESENT
    statuses = {p.id: r.status for r, p in registrations.for_event(session, future.id)}
    assert statuses == {
        person.id: RegistrationStatus.CANCELLED,
        waiting.id: RegistrationStatus.CONFIRMED,
    }
    with pytest.raises(NotFound):
        data_export.export(session, person.id)
