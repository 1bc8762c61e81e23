"""Coordinators edit the reference lists from /admin; the participants' questions follow."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.application import BotComponent
from relais.reference import services as reference
from tests.admin.conftest import coordinator, make_network
from tests.bot.helpers import known_user
from tests.botapi import BotAPI
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _offered(session: Session) -> list[str]:
    session.expire_all()
    names = [kind.name for kind in reference.structure_types(session)]
    session.commit()  # on SQLite every transaction holds the write lock
    return names


async def test_coordinator_adds_renames_and_retires_a_structure_type(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    claire = coordinator(api, session)
    await claire.send("/admin")
    await claire.expect("Espace coordinateurs")
    await claire.tap("📚 Listes (types de structure, profils, thématiques)")
    await claire.expect("Listes de référence")
    await claire.tap("Types de structure")
    listing = await claire.expect("dans l'ordre proposé")
    assert listing.message.button_texts()[-3:] == ["Autre (0)", "➕ Ajouter", "↩️ Retour"]

    await claire.tap("➕ Ajouter")
    await claire.expect("nom de la nouvelle entrée")
    await claire.send("association")
    await claire.expect("déjà dans la liste")  # refused, the question stays
    await claire.send("Fondation")
    await claire.expect("Ajouté : Fondation")
    await claire.expect("dans l'ordre proposé")
    assert _offered(session)[-2:] == ["Fondation", "Autre"]

    await claire.tap("Entreprise (0)")
    await claire.expect("proposé dans les choix")
    await claire.tap("✏️ Renommer")
    await claire.expect("Nouveau nom pour « Entreprise »")
    await claire.send("Entreprise privée")
    await claire.expect("devient « Entreprise privée »")
    await claire.expect("dans l'ordre proposé")
    await claire.tap("Entreprise privée (0)")
    await claire.expect("proposé dans les choix")
    await claire.tap("⛔ Retirer des choix")
    await claire.expect("retiré des choix")
    assert "Entreprise privée" not in _offered(session)

    # A participant asked now sees the edited list, « Autre » still last.
    user, _person = known_user(api, session, "Malik", structure_type=None)
    event = make_event(session, title="Rencontre emploi")
    await user.send(f"/start {event.code}")
    await user.expect("Rencontre emploi")
    await user.tap("✅ S'inscrire")
    question = await user.expect("une seule fois")
    buttons = question.message.button_texts()
    assert buttons[-3:] == ["Fondation", "Autre", "Passer"] and "Entreprise privée" not in buttons

    await claire.send("/admin")
    await claire.expect("Espace coordinateurs")
    await claire.tap("📚 Listes (types de structure, profils, thématiques)")
    await claire.expect("Listes de référence")
    await claire.tap("Types de structure")
    await claire.expect("dans l'ordre proposé")
    await claire.tap("Autre (0)")
    await claire.expect("proposé dans les choix")
    await claire.tap("⛔ Retirer des choix")
    await claire.expect("il reste proposé")


async def test_a_coordinator_limited_to_networks_may_not_edit_the_lists(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    network = make_network(session, "Réseau PRE – 91")
    limited = coordinator(api, session, "Hugo", networks=[network.code])
    await limited.send("/admin")
    await limited.expect("Espace coordinateurs")
    await limited.tap("📚 Listes (types de structure, profils, thématiques)")
    await limited.expect("Commande réservée aux coordinateurs")
    stranger = api.user("Zoé")
    await stranger.send("/admin")
    await stranger.expect("Commande réservée aux coordinateurs")
