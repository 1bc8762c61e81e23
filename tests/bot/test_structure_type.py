"""The type of structure through the bot: asked of newcomers, asked once of known people, in /profil."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.application import BotComponent
from relais.people import export as data_export
from relais.people import services as people
from relais.people.models import Person
from relais.reference import services as reference
from relais.registrations.models import Registration
from tests.bot.helpers import assert_golden, known_user
from tests.botapi import BotAPI
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _stored(session: Session, person: Person) -> tuple[str | None, bool]:
    """(type name, declined) as stored now; the transaction is released for the bot."""
    found = session.get(Person, person.id)
    assert found is not None
    session.refresh(found)  # only this row: expiring all would reopen a transaction later
    result = (
        people.structure_type_name(session, found),
        found.structure_type_declined_at is not None,
    )
    session.commit()  # on SQLite every transaction holds the write lock
    return result


async def test_known_person_is_asked_once_after_registering_and_never_blocked(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session, "Lina", structure_type=None)
    first = make_event(session, title="Rencontre GUSP")
    second = make_event(session, title="Webinaire emploi")
    await user.send(f"/start {first.code}")
    await user.expect("Rencontre GUSP")
    await user.tap("✅ S'inscrire")
    await user.expect("Inscription confirmée")
    question = await user.expect("une seule fois")
    # Registered before any answer: the question blocks nothing.
    registered = session.exec(select(Registration).where(Registration.person_id == person.id))
    assert len(registered.all()) == 1
    types = [kind.name for kind in reference.structure_types(session)]
    session.commit()
    buttons = question.message.button_texts()
    assert buttons == [*types, "Passer"] and types[-1] == "Autre"
    assert_golden("structure_ask_once", question.html)
    await user.tap("Bailleur social")
    saved = await user.expect("Type de structure enregistré")
    assert saved.kind == "edit" and "Bailleur social" in saved.text
    assert _stored(session, person) == ("Bailleur social", False)
    await user.send(f"/start {second.code}")
    await user.expect("Webinaire emploi")
    await user.tap("✅ S'inscrire")
    await user.expect("Inscription confirmée")
    await user.send("/aide")
    await user.expect("Ce que je sais faire")
    assert not any("une seule fois" in output.text for output in user.drain())


async def test_skipping_is_remembered(api: BotAPI, bot: BotComponent, session: Session) -> None:
    user, person = known_user(api, session, "Noé", structure_type=None)
    first = make_event(session, title="Atelier santé")
    second = make_event(session, title="Atelier culture")
    await user.send(f"/start {first.code}")
    await user.expect("Atelier santé")
    await user.tap("✅ S'inscrire")
    await user.expect("une seule fois")
    await user.tap("Passer")
    declined = await user.expect("ne vous le demanderons plus")
    assert declined.kind == "edit"
    assert _stored(session, person) == (None, True)
    await user.send(f"/start {second.code}")
    await user.expect("Atelier culture")
    await user.tap("✅ S'inscrire")
    await user.expect("Inscription confirmée")
    await user.send("/aide")
    await user.expect("Ce que je sais faire")
    assert not any("une seule fois" in output.text for output in user.drain())


async def test_profile_shows_and_changes_the_type(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session, "Rémi")
    await user.send("/profil")
    shown = await user.expect("Votre profil")
    assert "Type de structure : Collectivité territoriale" in shown.text
    await user.tap("🏢 Type de structure")
    choices = await user.expect("Choisissez votre type de structure")
    assert "Passer" not in choices.message.button_texts()
    await user.tap("Organisme public (CAF, France Travail…)")
    await user.expect("Organisme public (CAF, France Travail…)")
    await user.send("/profil")
    again = await user.expect("Votre profil")
    assert "Type de structure : Organisme public (CAF, France Travail…)" in again.text
    assert person.id is not None
    session.expire_all()
    assert data_export.export(session, person.id)["personne"]["type_de_structure"] == (
        "Organisme public (CAF, France Travail…)"
    )
    session.commit()


async def test_a_type_removed_from_the_list_is_a_stale_button(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, person = known_user(api, session, "Sacha", structure_type=None)
    await user.send("/profil")
    await user.expect("Votre profil")
    await user.tap("🏢 Type de structure")
    await user.expect("Choisissez votre type de structure")
    entreprise = reference.structure_type_named(session, "Entreprise")
    entreprise.active = False
    session.add(entreprise)
    session.commit()
    await user.tap("Entreprise")
    await user.expect("n'est plus valable")
    assert _stored(session, person) == (None, False)


async def test_a_cycle_registration_asks_once_too(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from relais.events import services as events
    from relais.events.schemas import EventInput

    series, _sessions = events.create_series(
        session,
        "Cycle évaluation des contrats de ville",
        [
            EventInput(title=f"Séance {n}", starts_at=f"0{n}/06/2030 09:30", duration_minutes=180)
            for n in (1, 2)
        ],
        "test",
    )
    session.commit()
    user, person = known_user(api, session, "Ayo", structure_type=None)
    await user.send(f"/start c_{series.code}")
    await user.expect("Cycle évaluation")
    await user.tap("✅ S'inscrire au cycle")
    await user.expect("Inscription au cycle")
    await user.expect("une seule fois")
    await user.tap("Services de l'État")
    await user.expect("Type de structure enregistré")
    assert _stored(session, person) == ("Services de l'État", False)
