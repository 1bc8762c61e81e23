"""Creating, editing, publishing and cancelling events from the bot, end to end."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.application import BotComponent
from relais.events import services as events
from relais.events.models import Event, EventFormat, EventStatus, Series
from relais.timefmt import local
from tests.admin.conftest import coordinator, make_network
from tests.botapi import BotAPI

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def test_create_event_step_by_step(api: BotAPI, bot: BotComponent, session: Session) -> None:
    make_network(session, "Réseau des référents PRE – 91")
    claire = coordinator(api, session)
    await claire.send("/admin")
    await claire.expect("Espace coordinateurs")
    await claire.tap("➕ Créer un événement")
    await claire.expect("Titre de l'événement")
    await claire.send("Rencontre des référents PRE")
    await claire.expect("Thématique")
    await claire.tap("Questions éducatives")
    await claire.expect("Modalité")
    await claire.tap("Hybride")
    await claire.expect("Date et heure de début")
    await claire.send("31 février 2031 9h")
    await claire.expect("illisible")
    await claire.send("8 avril 2031 9h30")
    await claire.expect("Durée")
    await claire.send("2h30")
    await claire.expect("Adresse du lieu")
    await claire.send("Maison des services publics, Évry")
    await claire.expect("Lien de la visioconférence")
    await claire.send("https://visio.exemple.fr/pre")
    await claire.expect("Nombre de places")
    await claire.send("25")
    await claire.expect("Date limite")
    await claire.send("1 avril 2031 18h")
    await claire.expect("Réseaux ciblés")
    await claire.tap("Réseau des référents PRE – 91")
    await claire.expect("Réseaux ciblés")
    await claire.tap("Terminé")
    await claire.expect("Réserver à certains profils")
    await claire.tap("Ouvert à tous")
    await claire.expect("Présentation")
    await claire.send("Échanges de pratiques & retours d'expérience.")
    preview = await claire.expect("Aperçu")
    assert "mardi 8 avril 2031, 9 h 30 – 12 h" in preview.text
    assert "Places : 25" in preview.text and "reseau-des-referents-pre-91" in preview.text
    await claire.tap("📝 Garder en brouillon")
    card = await claire.expect("Statut : brouillon")
    event = session.exec(select(Event)).one()
    assert event.status == EventStatus.DRAFT and event.format == EventFormat.HYBRIDE
    assert local(event.registration_deadline).strftime("%d/%m %H:%M") == "01/04 18:00"  # type: ignore[arg-type]
    assert event.description == "Échanges de pratiques & retours d'expérience."
    session.commit()  # a read keeps SQLite's write lock until the transaction ends
    await claire.tap("✅ Publier", on=card.message)
    await claire.expect("Publié")
    session.expire_all()
    assert session.get(Event, event.id).status == EventStatus.PUBLISHED  # type: ignore[union-attr]


async def test_create_cycle(api: BotAPI, bot: BotComponent, session: Session) -> None:
    claire = coordinator(api, session)
    await claire.send("/nouveau_cycle")
    await claire.expect("Titre du cycle")
    await claire.send("Cycle de qualification laïcité")
    await claire.expect("Thématique")
    await claire.tap("Passer")
    await claire.expect("Modalité")
    await claire.tap("Distanciel (webinaire)")
    await claire.expect("séance 1")
    await claire.send("12/05/2031 14:00")
    await claire.expect("séance 2")
    await claire.send("19/05/2031 14:00")
    await claire.expect("séance 3")
    await claire.tap("Terminé")
    await claire.expect("Durée")
    await claire.tap("2 h")
    await claire.expect("Lien de la visioconférence")
    await claire.send("https://visio.exemple.fr/laicite")
    await claire.expect("Nombre de places")
    await claire.tap("Illimité")
    await claire.expect("Date limite")
    await claire.tap("Aucune")
    await claire.expect("Réseaux ciblés")
    await claire.tap("Terminé")
    await claire.expect("Réserver")
    await claire.tap("Ouvert à tous")
    await claire.expect("Présentation")
    await claire.tap("Passer")
    preview = await claire.expect("Aperçu du cycle")
    assert "séance 2" in preview.text
    await claire.tap("✅ Publier")
    await claire.expect("2 séances")
    await claire.expect("Statut : publié")
    series = session.exec(select(Series)).one()
    titles = sorted(e.title for e in session.exec(select(Event)))
    assert titles == [
        "Cycle de qualification laïcité – séance 1",
        "Cycle de qualification laïcité – séance 2",
    ]
    assert {e.series_id for e in session.exec(select(Event))} == {series.id}


async def test_limited_coordinator_targets_one_of_their_networks_and_an_audience(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    mine = make_network(session, "Réseau des médiateurs – 93")
    make_network(session, "Réseau des référents PRE – 91")
    claire = coordinator(api, session, networks=[mine.code])
    await claire.send("/nouvel_evenement")
    await claire.expect("Titre")
    await claire.send("Rencontre des médiateurs")
    await claire.expect("Thématique")
    await claire.tap("Médiation sociale")
    await claire.expect("Modalité")
    await claire.tap("Présentiel")
    await claire.expect("Date et heure")
    await claire.send("10/06/2031 09:30")
    await claire.expect("Durée")
    await claire.tap("journée")
    await claire.expect("Adresse du lieu")
    await claire.send("Maison de quartier, Bondy")
    await claire.expect("Nombre de places")
    await claire.send("0")
    await claire.expect("Date limite")
    await claire.tap("Aucune")
    networks_question = await claire.expect("Réseaux ciblés")
    assert networks_question.message.button_texts()[:1] == ["Réseau des médiateurs – 93"]
    await claire.tap("Terminé")
    await claire.expect("Choisissez au moins un de vos réseaux")
    await claire.tap("Réseau des médiateurs – 93")
    await claire.expect("Réseaux ciblés")
    await claire.tap("Terminé")
    await claire.expect("Réserver à certains profils")
    await claire.tap("Médiateur adulte-relais")
    await claire.expect("Réserver à certains profils")
    await claire.tap("Terminé")
    await claire.expect("Présentation")
    await claire.tap("Passer")
    preview = await claire.expect("Aperçu")
    assert (
        "Public : Médiateur adulte-relais" in preview.text and "Places : illimité" in preview.text
    )
    await claire.tap("✅ Publier")
    await claire.expect("Statut : publié")
    event = session.exec(select(Event)).one()
    assert events.network_ids(session, event.id or 0) == [mine.id]
    assert len(events.audience_profile_ids(session, event.id or 0)) == 1
    assert event.capacity is None and (event.ends_at - event.starts_at).total_seconds() == 7 * 3600
    session.commit()
