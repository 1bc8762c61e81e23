"""A professional's journeys through the bot, over python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from sqlmodel import Session, select

from bot.application import BotComponent
from relais.events import services as events
from relais.people import services as people
from relais.people.models import Consent, Person
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import short_day
from tests.bot.helpers import assert_golden, known_user, sign_up
from tests.botapi import BotAPI
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
FIXED_START = datetime(2030, 4, 9, 7, 30, tzinfo=UTC)  # mardi 9 avril 2030, 9 h 30 à Paris


async def test_first_registration_collects_profile_and_consent(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(
        session,
        title="Rencontre des médiateurs",
        capacity=10,
        venue="Maison de quartier, Évry",
        starts_at=FIXED_START,
        duration_minutes=150,
        registration_deadline=datetime(2030, 4, 5, 16, 0, tzinfo=UTC),
    )
    camille = api.user("Camille")
    await camille.send(f"/start {event.code}")
    card = await camille.expect("Rencontre des médiateurs")
    assert_golden("event_detail", card.html)
    await camille.tap("✅ S'inscrire")
    await sign_up(camille)
    confirmation = await camille.expect("Inscription confirmée")
    assert_golden("confirmation", confirmation.html)
    document = await camille.next_document()
    assert document.message.document is not None
    name, content = document.message.document
    assert name == f"{event.code}.ics" and b"BEGIN:VCALENDAR" in content
    person = session.exec(select(Person).where(Person.telegram_id == camille.id)).one()
    assert (person.last_name, person.email, person.departement_code) == (
        "Martin", "camille.martin@ville-evry.fr", "91",
    )  # fmt: skip
    assert people.structure_type_name(session, person) == "Collectivité territoriale"
    consent = session.exec(select(Consent).where(Consent.person_id == person.id)).one()
    assert consent.channel == "telegram" and "confidentialite" in consent.source
    sent = api.calls_to("sendMessage") + api.calls_to("editMessageText")
    consent_message = next(c for c in sent if "Acceptez-vous" in c.params["text"])
    assert_golden("consent", consent_message.params["text"])


async def test_second_registration_is_one_tap_and_offers_not_me(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    dominique, person = known_user(api, session)
    event = make_event(session, title="Webinaire PRE", format="distanciel")
    await dominique.send(f"/start {event.code}")
    await dominique.expect("webinaire")
    await dominique.tap("✅ S'inscrire")
    confirmation = await dominique.expect("Inscription confirmée")
    assert "Dominique Durand" in confirmation.text
    await dominique.tap("Ce n'est plus moi / modifier")
    await sign_up(dominique, email="nouvelle.adresse@exemple.fr", last_name="Lefèvre")
    saved = await dominique.expect("Profil enregistré")
    assert "Dominique" in saved.text
    newcomer = session.exec(select(Person).where(Person.telegram_id == dominique.id)).one()
    assert newcomer.email == "nouvelle.adresse@exemple.fr" and newcomer.id != person.id


async def test_waiting_list_then_promotion_after_a_cancellation(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(session, title="Atelier laïcité", capacity=1, starts_at=FIXED_START)
    first, _ = known_user(api, session, "Alix")
    second, _ = known_user(api, session, "Bastien")
    for user in (first, second):
        await user.send(f"/start {event.code}")
        await user.expect("Atelier laïcité")
        await user.tap("✅ S'inscrire")
    await first.expect("Inscription confirmée")
    waiting = await second.expect("liste d'attente")
    assert "position 1" in waiting.text
    assert_golden("waitlisted", waiting.html)
    await first.send("/mes_inscriptions")
    await first.expect("Vos inscriptions")
    await first.tap(f"Se désinscrire ({short_day(FIXED_START)}) : Atelier laïcité")
    await first.expect("Vous désinscrire")
    await first.tap("Oui, me désinscrire")
    await first.expect("désinscrit·e")
    promoted = await second.expect("Bonne nouvelle")
    assert_golden("promoted", promoted.html)
    assert (await second.next_document()).message.document is not None
    registration = session.exec(
        select(Registration).where(Registration.event_id == event.id)
        .where(Registration.status == RegistrationStatus.CONFIRMED)
    ).one()  # fmt: skip
    assert registration.person_id != first.id


async def test_cycle_registers_every_session(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from relais.events.schemas import EventInput

    series, sessions = events.create_series(
        session,
        "Cycle de qualification médiation",
        [
            EventInput(title=f"Séance {n}", starts_at=f"0{n}/06/2030 09:30", duration_minutes=180)
            for n in (1, 2, 3)
        ],
        "test",
    )
    session.commit()
    user, person = known_user(api, session)
    await user.send(f"/start c_{series.code}")
    card = await user.expect("Cycle de qualification")
    assert card.text.count("Séance") == 3
    await user.tap("✅ S'inscrire au cycle")
    confirmation = await user.expect("Inscription au cycle")
    assert confirmation.text.count("inscrit·e") >= 3
    for _ in sessions:
        assert (await user.next_document()).message.document is not None
    assert len(registrations.for_person(session, person.id or 0)) == 3


async def test_event_list_pages_and_filters(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from relais.networks import services as networks

    network = networks.create(
        session, "Réseau des référents PRE – 91", "test", departement_code="91"
    )
    session.commit()
    for number in range(4):
        make_event(
            session, title=f"Rencontre {number}", networks=[network.code] if number == 3 else []
        )
    user = api.user("Eva")
    await user.send("/evenements")
    first_page = await user.expect("Événements à venir")
    assert "Rencontre 0" in first_page.text and "Rencontre 3" not in first_page.text
    await user.tap("Suivants ›")
    second_page = await user.next_message()
    assert second_page.kind == "edit" and "Rencontre 3" in second_page.text
    await user.tap("🔎 Filtrer")
    await user.expect("Filtrer")
    await user.tap("Par département")
    await user.expect("Choisissez un département")
    await user.tap("91")
    filtered = await user.expect("département 91")
    assert "Rencontre 3" in filtered.text and "Rencontre 0" not in filtered.text


async def test_data_export_and_erasure(api: BotAPI, bot: BotComponent, session: Session) -> None:
    user, person = known_user(api, session)
    event = make_event(session, title="Séminaire santé", capacity=1)
    registrations.register(session, event.id or 0, person.id or 0, source="test")
    session.commit()
    await user.send("/mes_donnees")
    document = await user.next_document()
    assert document.message.document is not None
    exported = json.loads(document.message.document[1])
    assert exported["personne"]["adresse_e_mail"] == person.email
    assert exported["personne"]["type_de_structure"] == "Collectivité territoriale"
    [mine] = exported["inscriptions"]
    assert (mine["rencontre"], mine["etat"]) == ("Séminaire santé", "confirmée")
    assert document.message.document[0] == "mes-donnees.json"
    assert exported["telegram"]["compte_telegram"] == user.id
    await user.send("/supprimer_mes_donnees")
    await user.expect("Supprimer toutes vos données")
    await user.tap("Oui, tout supprimer")
    await user.expect("supprimées")
    session.expire_all()
    erased = session.get(Person, person.id)
    assert erased is not None and erased.email is None and erased.telegram_id is None
    assert registrations.for_person(session, person.id or 0) == []
    session.commit()  # on SQLite every transaction holds the write lock: release it
    await user.send("/mes_donnees")
    await user.expect("aucune donnée")


async def test_menu_help_and_unknown_input(api: BotAPI, bot: BotComponent) -> None:
    user = api.user("Farid")
    await user.send("/start")
    welcome = await user.expect("Bonjour Farid")
    assert_golden("welcome", welcome.html)
    await user.send("/commande_inconnue")
    assert_golden("help", (await user.expect("Ce que je sais faire")).html)
    await user.send("bonjour ?")
    await user.expect("Ce que je sais faire")
    await user.send("/annuler")
    await user.expect("rien en cours")
    assert [c["command"] for c in api.commands][:2] == ["start", "evenements"]


async def test_bad_email_too_long_and_escaped_input(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = make_event(session, title="Rencontre <b>Cités</b> & co")
    user = api.user("Gaëlle")
    await user.send(f"/start {event.code}")
    card = await user.expect("Rencontre <b>Cités</b> & co")
    assert "&lt;b&gt;Cités&lt;/b&gt; &amp; co" in card.html
    await user.tap("✅ S'inscrire")
    await user.expect("nom")
    await user.send("x" * 101)
    await user.expect("trop long (au plus 100")
    await user.send("<i>O'Brien</i> & fils")
    await user.expect("prénom")
    await user.send("Gaëlle")
    await user.expect("e-mail")
    await user.send("pas-une-adresse")
    await user.expect("n'est pas une adresse e-mail valide")
    await user.send("gaelle@exemple.fr")
    shown = await user.expect("Est-ce la bonne adresse")
    assert "gaelle@exemple.fr" in shown.text
    await user.tap("Non, la corriger")
    await user.expect("e-mail")
    await user.send("gaelle.obrien@exemple.fr")
    await user.tap("Oui, c'est la bonne")
    await user.send("Association & Co")
    await user.expect("type de structure")
    await user.send("une structure inconnue")
    await user.expect("boutons")
    await user.send("association")  # typed instead of tapped: understood
    await user.expect("profil professionnel")
    await user.send("du texte au lieu d'un bouton")
    await user.expect("boutons")
    await user.tap("Association")
    await user.send("999")
    await user.expect("Département « 999 » inconnu")
    await user.expect("Votre département")
    await user.tap("Autres ›")
    assert (await user.expect("Votre département")).kind == "edit"
    await user.tap("2A Corse-du-Sud")
    await user.send("01 23")
    await user.expect("n'est pas un numéro de téléphone valide")
    await user.send("06 12 34 56 78")
    await user.expect("Acceptez-vous")
    await user.tap("J'accepte")
    await user.expect("Inscription confirmée")
    person = session.exec(select(Person).where(Person.telegram_id == user.id)).one()
    assert person.last_name == "<i>O'Brien</i> & fils" and person.phone == "0612345678"
    session.commit()
    await user.send("/profil")
    profile = await user.expect("Votre profil")
    assert "&lt;i&gt;O&#39;Brien&lt;/i&gt; &amp; fils" in profile.html
    assert_golden("profile", profile.html)


async def test_stale_buttons_answer_gracefully(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    user, _ = known_user(api, session)
    event = make_event(session, title="Rencontre annulée bientôt")
    await user.send(f"/start {event.code}")
    card = await user.expect("Rencontre annulée bientôt")
    events.cancel(session, event.id or 0, "intervenant malade", "test")
    session.commit()
    await user.tap("✅ S'inscrire", on=card.message)
    await user.expect("est annulé")
    await user.tap(
        "Oui, c'est la bonne",
        on=_fake_button(api, user.id, "Oui, c'est la bonne", "step:email_confirm:y"),
    )
    await user.expect("n'est plus valable")
    assert user.answers[-1].get("text") == "Bouton expiré"
    await user.tap("x", on=_fake_button(api, user.id, "x", "zz:1:2"))
    await user.expect("n'est plus valable")


def _fake_button(api: BotAPI, chat_id: int, text: str, data: str):  # type: ignore[no-untyped-def]
    """A button as an old version of the bot (or a forged client) could send it."""
    from tests.botapi import BotMessage

    message = BotMessage(
        chat_id,
        api.next_message_id(),
        "ancien",
        "ancien",
        [[{"text": text, "callback_data": data}]],
    )
    api.messages[(chat_id, message.message_id)] = message
    return message


async def test_unknown_deep_link_says_so(api: BotAPI, bot: BotComponent) -> None:
    user = api.user("Hugo")
    await user.send("/start zzzzzz")
    await user.expect("Aucun événement avec le code « zzzzzz »")
    await user.send("/start c_zzzzzz")
    await user.expect("Aucun cycle")
    await user.send("/start <script>")
    await user.expect("Aucun événement")


async def test_flood_is_slowed_down_once(api: BotAPI, bot: BotComponent) -> None:
    user = api.user("Inès")
    for number in range(40):
        await user.send(f"message {number}")
    await user.expect("Doucement")
    await asyncio.sleep(0.5)
    answers = [output.text for output in user.drain()]
    assert not any("Doucement" in text for text in answers)
    assert len(answers) < 40


async def test_a_known_address_needs_the_code_sent_to_it(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from mailer.email_code import render as render_code_mail
    from mailer.email_code import subscribe as mail_the_codes
    from mailer.models import OutboxMessage
    from tests.factories import make_person

    mail_the_codes()  # the mail channel sends the code the bot asks for (wired by `relais run`)
    owner = make_person(session, email="sabine.roux@exemple.fr", first_name="Sabine")
    event = make_event(session, title="Rencontre vérifiée")
    user = api.user("Sabine")
    await user.send(f"/start {event.code}")
    await user.expect("Rencontre vérifiée")
    await user.tap("✅ S'inscrire")
    await user.expect("nom")
    for answer, question in (
        ("Roux", "prénom"),
        ("Sabine", "e-mail"),
        ("Sabine.Roux@exemple.fr", "bonne adresse"),
    ):
        await user.send(answer)
        await user.expect(question)
    await user.tap("Oui, c'est la bonne")
    await user.expect("code à 6 chiffres")
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "bot_email_code")).one()
    assert mail.to_address == "sabine.roux@exemple.fr"
    code = mail.payload["code"]
    rendered = message_from_bytes(render_code_mail(session, mail).as_bytes(), policy=policy.default)
    assert code in rendered["Subject"] and code in rendered.get_body(("plain",)).get_content()  # type: ignore[attr-defined, union-attr]
    session.commit()
    await user.send("000000" if code != "000000" else "111111")
    await user.expect("ne correspond pas")
    await user.send(code)
    await user.expect("structure")
    session.expire_all()
    linked = session.get(Person, owner.id)
    assert linked is not None and linked.telegram_id is None  # linked only once consent is given
    session.commit()


async def test_the_bots_invitation_has_the_persons_sequence_after_a_cancellation(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    """Registering again after cancelling: the document outranks the CANCEL as the e-mail does."""
    import icalendar

    from relais.events.ical import event_uid

    event = make_event(session, title="Atelier revenu", starts_at=FIXED_START)
    user, person = known_user(api, session, "Revient")
    assert event.id and person.id
    first = registrations.register(session, event.id, person.id, source="t").registration
    session.commit()
    registrations.cancel(session, first.id or 0, "test")
    session.commit()
    await user.send(f"/start {event.code}")
    await user.expect("Atelier revenu")
    await user.tap("✅ S'inscrire")
    await user.expect("Inscription confirmée")
    document = (await user.next_document()).message.document
    assert document is not None and document[0] == f"{event.code}.ics"
    calendar = icalendar.Calendar.from_ical(document[1])
    [vevent] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST" and str(vevent["UID"]) == event_uid(event)
    assert int(vevent["SEQUENCE"]) == 2  # the personal CANCEL had 1
    assert str(vevent["ATTENDEE"]) == f"mailto:{person.email}"
    assert b"\r\nSEQUENCE:2\r\n" in document[1]


async def test_unregistering_anywhere_removes_the_entry_added_from_telegram(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    import icalendar

    from relais.events.ical import event_uid

    event = make_event(session, title="Rencontre quittée", venue="Évry", starts_at=FIXED_START)
    user, person = known_user(api, session, "Quitte")
    waiting_user, waiting = known_user(api, session, "Patiente")
    assert event.id and person.id and waiting.id
    placed = registrations.register(session, event.id, person.id, source="web").registration
    events.update(session, event.id, {"capacity": 1}, "test")
    left = registrations.register(session, event.id, waiting.id, source="web").registration
    session.commit()
    assert placed.id and left.id
    registrations.cancel(session, left.id, "web")  # waited only: no entry to remove
    registrations.cancel(session, placed.id, "web")  # e.g. from « Mes inscriptions »
    session.commit()
    name, data = (await user.next_document()).message.document
    assert name == f"{event.code}.ics"
    calendar = icalendar.Calendar.from_ical(data)
    [vevent] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and "STATUS" not in vevent
    assert str(vevent["UID"]) == event_uid(event) and int(vevent["SEQUENCE"]) == 1
    documents = [
        m for m in api.messages.values() if m.chat_id == waiting_user.id and m.document is not None
    ]
    assert documents == []


async def test_a_change_and_a_cancellation_update_the_entry_added_from_telegram(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    import icalendar

    from relais.events.ical import event_uid

    event = make_event(session, title="Rencontre qui change", venue="Évry", starts_at=FIXED_START)
    user, person = known_user(api, session, "Suivi")
    waiting_user, waiting = known_user(api, session, "Attend")
    assert event.id and person.id and waiting.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    events.update(session, event.id, {"capacity": 1}, "test")
    registrations.register(session, event.id, waiting.id, source="t")
    session.commit()
    events.update(session, event.id, {"venue": "Corbeil-Essonnes"}, "test")
    session.commit()
    await user.expect("Changement")
    update = (await user.next_document()).message.document
    events.cancel(session, event.id, "grève des transports", "test")
    session.commit()
    await user.expect("est annulé")
    cancel = (await user.next_document()).message.document
    await waiting_user.expect("est annulé")
    assert update is not None and cancel is not None
    sent = {}
    for name, data in (update, cancel):
        assert name == f"{event.code}.ics"
        calendar = icalendar.Calendar.from_ical(data)
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == event_uid(event)
        assert str(vevent["ATTENDEE"]) == f"mailto:{person.email}"
        sent[str(calendar["METHOD"])] = vevent
    assert str(sent["REQUEST"]["LOCATION"]) == "Corbeil-Essonnes"
    assert int(sent["REQUEST"]["SEQUENCE"]) == 1 and int(sent["CANCEL"]["SEQUENCE"]) == 2
    assert str(sent["CANCEL"]["STATUS"]) == "CANCELLED"
    documents = [
        m for m in api.messages.values() if m.chat_id == waiting_user.id and m.document is not None
    ]
    assert documents == []  # on the waiting list: no invitation was ever added
