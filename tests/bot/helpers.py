"""Scripted journeys and golden files shared by the bot tests."""

from __future__ import annotations

from sqlmodel import Session

from relais.people import services as people
from relais.people.models import ConsentPurpose, Person
from relais.reference import services as reference
from tests.botapi import BotAPI, ScriptedUser
from tests.conftest import assert_golden as golden


def assert_golden(name: str, html: str) -> None:
    """A message as sent (HTML) against ``tests/golden/bot/<name>.html``.

    See :func:`tests.conftest.assert_golden`: ``UPDATE_GOLDEN=1`` rewrites the
    file, so a wording change is a reviewed diff.
    """
    golden(f"bot/{name}.html", html + "\n")


async def sign_up(
    user: ScriptedUser, email: str = "camille.martin@ville-evry.fr", last_name: str = "Martin"
) -> None:
    """Answer the profile questions that follow a first tap on « S'inscrire »."""
    await user.expect("nom")
    await user.send(last_name)
    await user.expect("prénom")
    await user.send(user.first_name)
    await user.expect("e-mail")
    await user.send(email)
    await user.expect("Est-ce la bonne adresse")
    await user.tap("Oui, c'est la bonne")
    await user.expect("structure")
    await user.send("Ville d'Évry")
    await user.expect("type de structure")
    await user.tap("Collectivité territoriale")
    await user.expect("profil professionnel")
    await user.tap("Médiateur adulte-relais")
    await user.expect("département")
    await user.send("91")
    await user.expect("téléphone")
    await user.tap("Passer")
    await user.expect("Acceptez-vous")
    await user.tap("J'accepte")


def known_user(
    api: BotAPI,
    session: Session,
    first_name: str = "Dominique",
    profile: str = "Médiateur adulte-relais",
    structure_type: str | None = "Collectivité territoriale",
) -> tuple[ScriptedUser, Person]:
    """A person who already gave their profile and consent: registering is one tap.

    ``structure_type=None`` is someone known from before the question existed.
    """
    user = api.user(first_name)
    trade = reference.find_profile(session, profile)
    assert trade is not None
    kind = reference.structure_type_named(session, structure_type) if structure_type else None
    person = people.save_profile(
        session,
        email=f"{first_name.lower()}.{user.id}@exemple.fr",
        first_name=first_name,
        last_name="Durand",
        organisation="Mairie de Corbeil",
        profile_id=trade.id,
        structure_type_id=kind.id if kind else None,
        departement_code="91",
        telegram_id=user.id,
    )
    assert person.id is not None
    people.record_consent(session, person.id, ConsentPurpose.REGISTRATION, channel="telegram")
    session.commit()
    return user, person
