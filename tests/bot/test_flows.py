"""A professional's journeys through the bot, over python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.application import BotComponent
from tests.botapi import BotAPI, ScriptedUser
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def sign_up(user: ScriptedUser, email: str = "camille.martin@ville-evry.fr") -> None:
    """Answer the profile questions that follow a first tap on « S'inscrire »."""
    await user.expect("nom")
    await user.send("Martin")
    await user.expect("prénom")
    await user.send("Camille")
    await user.expect("e-mail")
    await user.send(email)
    await user.expect("Est-ce la bonne adresse")
    await user.tap("Oui, c'est la bonne")
    await user.expect("structure")
    await user.send("Ville d'Évry")
    await user.expect("profil professionnel")
    await user.tap("Médiateur adulte-relais")
    await user.expect("département")
    await user.send("91")
    await user.expect("téléphone")
    await user.tap("Passer")
    await user.expect("Acceptez-vous")
    await user.tap("J'accepte")


async def test_first_registration_collects_profile(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(session, title="Rencontre des médiateurs", capacity=10, venue="Évry")
    camille = api.user("Camille")
    await camille.send(f"/start {event.code}")
    card = await camille.expect("Rencontre des médiateurs")
    assert "Places restantes : 10" in card.text
    await camille.tap("✅ S'inscrire")
    await sign_up(camille)
    confirmation = await camille.expect("Inscription confirmée")
    assert "camille.martin@ville-evry.fr" in confirmation.text
    document = await camille.next_document()
    assert document.message.document is not None
    assert document.message.document[0] == f"{event.code}.ics"
