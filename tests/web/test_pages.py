"""The public pages through the real server (httpx as the browser): agenda, event page,
registration rules, the known-address design, « Mes inscriptions », and the guards."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from mailer.component import forget_expired
from relais.access import services as access
from relais.access import tokens
from relais.access.models import PendingRegistration
from relais.events.models import EventStatus
from relais.people import erasure
from relais.people import services as people
from relais.people.models import Person
from relais.reference import services as reference
from relais.reference.models import StructureType
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow
from tests.factories import make_event, make_person
from tests.web.conftest import (
    Live,
    csrf_of,
    link_in,
    post_form,
    profile_form,
    register_on_web,
    text_of,
)


def _fresh(session: Session) -> Session:
    return Session(session.get_bind(), expire_on_commit=False)


def _registrations(session: Session, event_id: int) -> list[Registration]:
    with _fresh(session) as fresh:
        return list(fresh.exec(select(Registration).where(Registration.event_id == event_id)))


def test_agenda_lists_published_events_with_filters_as_links(live: Live, session: Session) -> None:
    shown = make_event(session, title="Rencontre des médiateurs", capacity=20, theme="Santé")
    make_event(session, title="Brouillon secret", status=EventStatus.DRAFT)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get("/")
        assert page.status_code == 200 and len(page.content) < 50_000
        assert "Rencontre des médiateurs" in page.text and "Brouillon secret" not in page.text
        assert f'href="/e/{shown.code}"' in page.text and "20 places restantes" in page.text
        assert "<script" not in page.text and "style=" not in page.text
        theme_link = next(
            part.split('"')[0] for part in page.text.split('href="') if "thematique=" in part
        )
        filtered = client.get(theme_link.replace("&amp;", "&"))
        assert "Rencontre des médiateurs" in filtered.text
        assert "Aucune rencontre" in client.get("/?format=distanciel").text


def test_agenda_card_says_when_one_can_come_or_join_online(live: Live, session: Session) -> None:
    make_event(session, title="Rencontre mixte", format="hybride", venue="Maison des projets")
    make_event(session, title="Rencontre en salle", venue="Salle Jean Moulin")
    with httpx.Client(base_url=live.base) as client:
        page = client.get("/").text
    assert "Maison des projets (sur place ou en ligne)" in page
    assert "Salle Jean Moulin (sur place" not in page and "Salle Jean Moulin" in page


def test_event_page_offers_telegram_ics_and_hides_drafts(live: Live, session: Session) -> None:
    event = make_event(session, title="Webinaire santé", description="Premier paragraphe.")
    draft = make_event(session, title="Pas encore publié", status=EventStatus.DRAFT)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get(f"/e/{event.code}")
        assert page.status_code == 200 and len(page.content) < 50_000
        assert f"https://t.me/RelaisCRPVBot?start={event.code}" in page.text
        assert "Premier paragraphe." in page.text and "S'inscrire avec Telegram" in page.text
        ics = client.get(f"/e/{event.code}/agenda.ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        assert b"SUMMARY:Webinaire sant" in ics.content
        assert client.get(f"/e/{draft.code}").status_code == 404
        assert "Rencontre introuvable" in client.get("/e/zzzzzz").text


def test_without_a_bot_no_page_offers_telegram(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh install names no bot: no button, no t.me link, no « avec Telegram » anywhere."""
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from relais.settings import get_settings

    event = make_event(session, title="Webinaire santé")
    series, _created = events.create_series(
        session, "Cycle GUSP", [EventInput(title="Séance 1", starts_at=event.starts_at)], "test"
    )
    session.commit()
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    get_settings.cache_clear()
    with httpx.Client(base_url=live.base) as client:
        pages = [client.get(path).text for path in ("/", f"/e/{event.code}", f"/c/{series.code}")]
    for text in pages:
        assert "t.me" not in text and "Telegram" not in text
    assert "Remplissez ce formulaire, sans compte." in pages[1]


def _asked_link(live: Live, address: str) -> str:
    """The link of the last « Confirmez » mail to ``address`` (mails of one delivery round
    may reach the SMTP server in any order)."""
    asked = [m for m in live.deliver() if m["To"] == address and "Confirmez" in m["Subject"]]
    assert asked, f"no confirmation link mailed to {address}"
    return link_in(asked[-1]).replace(live.base, "")


def _seats_shown(client: httpx.Client, code: str) -> str:
    found = re.search(r"(\d+) places? restantes?", client.get(f"/e/{code}").text)
    assert found, "the event page shows the seats left"
    return found.group(1)


def test_new_address_holds_nothing_until_the_link_then_gets_the_invitation(
    live: Live, session: Session
) -> None:
    event = make_event(session, title="Atelier GUSP", capacity=5)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        done = post_form(client, f"/e/{event.code}", profile_form())
        assert done.status_code == 200 and "Regardez votre messagerie" in done.text
        assert "aucune place n'est réservée" in done.text
        assert _registrations(session, event.id) == []  # no seat, no person before the link
        with _fresh(session) as fresh:
            assert people.id_by_email(fresh, "amina.benali@exemple.fr") is None
        assert _seats_shown(client, event.code) == "5"
        [asked] = live.deliver()
        assert asked["To"] == "amina.benali@exemple.fr"
        assert "Confirmez votre inscription" in str(asked["Subject"])
        text = asked.get_body(("plain",)).get_content()
        assert text.startswith("Bonjour,")  # not the name typed: a stranger may have typed it
        assert "adresse a été saisie dans le formulaire" in text
        link = link_in(asked).replace(live.base, "")
        with _fresh(session) as fresh:
            [waiting] = fresh.exec(select(PendingRegistration)).all()
        assert f"/n{waiting.key}-e{event.id}." in link  # a random key, not a row number
        confirm_page = client.get(link)
        shown = text_of(confirm_page.text)
        assert "seront alors enregistrées" in shown and "Amina Benali" in shown
        assert "Collectivité territoriale" in shown and "Ce n'est pas vous" in shown
        assert 'id="type_structure"' not in confirm_page.text  # typed in the form already
        registered = client.post(link, data={"csrf": csrf_of(confirm_page.text)})
        assert registered.status_code == 200 and "Inscription confirmée" in registered.text
        second = client.get(link)
        assert "Inscription déjà confirmée" in second.text
        assert "/mes-inscriptions/" not in second.text  # a forwarded link opens no account
        again = client.post(link, data={"csrf": csrf_of(confirm_page.text)})
        assert "Inscription déjà confirmée" in again.text
    [registration] = _registrations(session, event.id)
    assert registration.status == RegistrationStatus.CONFIRMED and registration.source == "web"
    with _fresh(session) as fresh:
        person = fresh.get(Person, registration.person_id)
        assert person is not None and person.first_name == "Amina"
        assert people.structure_type_name(fresh, person) == "Collectivité territoriale"
        [waiting] = fresh.exec(select(PendingRegistration)).all()
        assert waiting.confirmed_at is not None and waiting.first_name == ""  # not kept twice
    [mail] = live.deliver()[1:]
    assert mail["To"] == "amina.benali@exemple.fr" and "Atelier GUSP" in mail["Subject"]
    assert any(part.get_content_type() == "text/calendar" for part in mail.walk())
    assert "/mes-inscriptions/" in link_in(mail)


def test_an_unconfirmed_registration_expires_then_is_swept(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make_event(session, title="Atelier", capacity=5)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        post_form(client, f"/e/{event.code}", profile_form(email="oubli@exemple.fr"))
        link = _asked_link(live, "oubli@exemple.fr")
        later = utcnow() + access.CONFIRM_VALIDITY + timedelta(minutes=1)
        with monkeypatch.context() as patched:
            patched.setattr(tokens, "utcnow", lambda: later)
            expired = client.get(link)
        assert expired.status_code == 410 and "Ce lien a expiré" in expired.text
        with _fresh(session) as fresh:
            [waiting] = fresh.exec(select(PendingRegistration)).all()
            waiting.created_at = utcnow() - access.CONFIRM_VALIDITY - timedelta(minutes=1)
            fresh.add(waiting)
            fresh.commit()
        post_form(client, f"/e/{event.code}", profile_form(email="autre@exemple.fr"))
        asyncio.run(forget_expired())  # the mailer's hourly job
        assert client.get(link).status_code == 404
    with _fresh(session) as fresh:
        assert [p.email for p in fresh.exec(select(PendingRegistration))] == ["autre@exemple.fr"]
    assert _registrations(session, event.id) == []


def test_a_refusal_at_the_link_saves_nobody(live: Live, session: Session) -> None:
    """Membership is checked when the link is followed; a refusal then rolls back the new
    person with everything else."""
    from relais.networks import services as networks

    club = networks.create(session, "Réseau des référents PRE – 91", "test")
    event = make_event(session, title="Entre membres", members_only=True, networks=[club.code])
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        refused = register_on_web(client, live, f"/e/{event.code}", profile_form())
    assert refused.status_code == 409 and "réservée aux membres" in refused.text
    with _fresh(session) as fresh:
        assert people.id_by_email(fresh, "amina.benali@exemple.fr") is None
        [waiting] = fresh.exec(select(PendingRegistration)).all()
        assert waiting.confirmed_at is None and waiting.first_name == "Amina"
    assert _registrations(session, event.id) == []


def test_erasure_forgets_the_forms_typed_with_the_address(session: Session) -> None:
    first, second = make_event(session), make_event(session)
    typed = access.ProfileInput(
        email="efface@exemple.fr", first_name="Inès", last_name="Martin",
        organisation="Ville de Bondy", profile_id=1, departement_code="93",
    )  # fmt: skip
    for event in (first, second):
        access.register_by_address(session, access.Target("e", event.id or 0), typed, channel="web")
    pending = session.exec(select(PendingRegistration)).all()
    person, _outcomes = access.confirm_pending(
        session, pending[0], access.Target("e", first.id or 0)
    )
    erasure.erase(session, person.id or 0, "test")
    session.commit()
    assert session.exec(select(PendingRegistration)).all() == []


def test_a_link_to_a_cycle_with_nothing_left_gets_a_page(live: Live, session: Session) -> None:
    from relais.events import services as events
    from relais.events.schemas import EventInput

    start = utcnow() + timedelta(days=5)
    series, created = events.create_series(
        session, "Cycle bref", [EventInput(title="Séance 1", starts_at=start)], "test"
    )
    session.commit()
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        post_form(client, f"/c/{series.code}", profile_form(email="tard@exemple.fr"))
        link = _asked_link(live, "tard@exemple.fr")
        events.cancel(session, created[0].id or 0, "Salle indisponible", "test")
        session.commit()
        answer = client.get(link)
    assert answer.status_code == 409 and "aucun cycle" in html.unescape(answer.text)


def test_known_address_holds_nothing_and_changes_nothing_until_the_link(
    live: Live, session: Session
) -> None:
    event = make_event(session, title="Rencontre PRE", capacity=3)
    owner = make_person(session, email="owner@exemple.fr", first_name="Léa", last_name="Vrai")
    typed = profile_form(
        email="owner@exemple.fr", prenom="Usurpateur", nom="Faux", type_structure="2"
    )
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        done = post_form(client, f"/e/{event.code}", typed)
        new = post_form(client, f"/e/{event.code}", profile_form(email="new@exemple.fr"))
        assert done.status_code == new.status_code == 200
        assert done.text.replace("owner@", "X@") == new.text.replace("new@", "X@")
        assert _registrations(session, event.id) == []  # neither holds a seat yet
        assert _seats_shown(client, event.code) == "3"  # so the seats left tell nothing
        with _fresh(session) as fresh:
            stored = fresh.get(Person, owner.id)
            assert stored is not None and stored.first_name == "Léa"
            assert stored.structure_type_id is None  # the type typed is not stored either
        mails = {m["To"]: m for m in live.deliver()}
        link = link_in(mails["owner@exemple.fr"]).replace(live.base, "")
        assert "/inscription/confirmer/" in link
        confirm_page = client.get(link)
        assert "Confirmer mon inscription" in confirm_page.text
        assert "Type de structure" in confirm_page.text  # asked once, the link proves the address
        token = csrf_of(confirm_page.text)
        wrong = client.post(link, data={"csrf": token, "type_structure": "9999"})
        assert _type_error(wrong, summary=False)
        assert _registrations(session, event.id) == []  # nothing taken with a wrong type
        registered = client.post(link, data={"csrf": token, "type_structure": "2"})
        assert registered.status_code == 200 and "inscription confirmée" in registered.text
        assert "Type de structure" not in client.get(link).text  # not asked again
        again = client.post(link, data={"csrf": token})
        assert again.status_code == 409 and "déjà inscrit" in again.text
    statuses = {r.person_id: r.status for r in _registrations(session, event.id)}
    assert statuses[owner.id] == RegistrationStatus.CONFIRMED
    with _fresh(session) as fresh:
        stored = fresh.get(Person, owner.id)
        assert stored is not None and people.structure_type_name(fresh, stored) == (
            "Services de l'État"
        )


def test_the_confirmation_page_never_blocks_on_the_type(live: Live, session: Session) -> None:
    event = make_event(session, title="Rencontre GUSP", capacity=5)
    skipper = make_person(session, email="passe@exemple.fr")
    declined = make_person(session, email="refus@exemple.fr")
    people.decline_structure_type(session, declined.id)
    session.commit()
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        for email in ("passe@exemple.fr", "refus@exemple.fr"):
            post_form(client, f"/e/{event.code}", profile_form(email=email))
        mails = {m["To"]: m for m in live.deliver()}
        skip_link = link_in(mails["passe@exemple.fr"]).replace(live.base, "")
        skip_page = client.get(skip_link)
        assert "Ne pas répondre" in skip_page.text
        done = client.post(skip_link, data={"csrf": csrf_of(skip_page.text), "type_structure": ""})
        assert done.status_code == 200 and "inscription confirmée" in done.text
        declined_link = link_in(mails["refus@exemple.fr"]).replace(live.base, "")
        declined_page = client.get(declined_link)
        assert "Type de structure" not in declined_page.text  # « Passer » in the bot is kept
        client.post(declined_link, data={"csrf": csrf_of(declined_page.text)})
    assert len(_registrations(session, event.id)) == 2
    with _fresh(session) as fresh:
        stored = fresh.get(Person, skipper.id)
        assert stored is not None and stored.structure_type_id is None


def test_every_field_wrong_gets_its_message_and_keeps_what_was_typed(
    live: Live, session: Session
) -> None:
    event = make_event(session)
    wrong = {
        "nom": "", "prenom": "x" * 150, "email": "pas-une-adresse", "structure": "",
        "profil": "9999", "departement": "zz", "telephone": "12", "site_web": "",
    }  # fmt: skip
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = post_form(client, f"/e/{event.code}", wrong)
    assert page.status_code == 422
    assert "9 champs à corriger" in page.text
    fields = ("nom", "prenom", "email", "structure", "type_structure", "profil", "departement")
    for name in (*fields, "telephone"):
        assert (
            f'aria-describedby="{name}-erreur"' in page.text
            or f"{name}-aide {name}-erreur" in page.text
        )
        assert f'<a href="#{name}">' in page.text
    assert "Le champ nom est vide." in page.text
    assert "n&#39;est pas une adresse e-mail valide" in page.text
    assert 'value="pas-une-adresse"' in page.text
    assert "Cochez la case" in page.text
    assert _registrations(session, event.id) == []


def _type_error(page: httpx.Response, *, summary: bool = True) -> bool:
    """The type's sentence beside its select, tied to it, and in the summary of a long form."""
    beside = (
        '<p class="error" id="type_structure-erreur">'
        "Choisissez votre type de structure dans la liste.</p>"
    )
    select = page.text.split('<select id="type_structure"', 1)[-1].split(">", 1)[0]
    return (
        page.status_code == 422
        and beside in page.text
        and 'aria-invalid="true"' in select
        and "type_structure-erreur" in select.split('aria-describedby="', 1)[-1]
        and (not summary or '<a href="#type_structure">' in page.text)
    )


@pytest.fixture
def retired_type(session: Session) -> Iterator[int]:
    """« Entreprise » retired for one test, offered again after it (PostgreSQL keeps the list)."""
    kind = reference.match_structure_type(session, "Entreprise")
    assert kind is not None and kind.id is not None
    number = kind.id
    kind.active = False
    session.add(kind)
    session.commit()
    yield number
    with _fresh(session) as fresh:
        again = fresh.get(StructureType, number)
        assert again is not None
        again.active = True
        fresh.add(again)
        fresh.commit()


def test_type_of_structure_is_required_and_only_from_the_offered_list(
    live: Live, session: Session, retired_type: int
) -> None:
    event = make_event(session, title="Atelier financeurs")
    with _fresh(session) as fresh:
        autre_id = next(kind.id for kind in reference.structure_types(fresh) if kind.listed_last)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        offered = client.get(f"/e/{event.code}").text
        select = offered.split('id="type_structure"', 1)[1].split("</select>", 1)[0]
        labels = [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[1:]]
        assert labels[0] == "— Choisissez —" and labels[-1] == "Autre"
        assert "Entreprise" not in labels and " selected" not in select
        missing = post_form(client, f"/e/{event.code}", profile_form(type_structure=""))
        assert _type_error(missing) and "1 champ à corriger" in missing.text
        assert 'value="Ville de Saint-Denis"' in missing.text  # the rest is kept
        stale = profile_form(email="stale@exemple.fr", type_structure=str(retired_type))
        assert _type_error(post_form(client, f"/e/{event.code}", stale))
        forged = post_form(client, f"/e/{event.code}", profile_form(type_structure="1 OR 1"))
        assert _type_error(forged)
        kept = post_form(
            client, f"/e/{event.code}", profile_form(type_structure=str(autre_id), nom="")
        )
        assert kept.status_code == 422 and f'value="{autre_id}" selected' in kept.text
    assert _registrations(session, event.id) == []
    with _fresh(session) as fresh:
        assert people.by_email(fresh, "amina.benali@exemple.fr") is None
        assert people.by_email(fresh, "stale@exemple.fr") is None


def test_refusals_are_precise_and_write_nothing(live: Live, session: Session) -> None:
    full = make_event(session, title="Petit atelier", capacity=1, waitlist_enabled=False)
    reserved = make_event(
        session, title="Entre PRE", audience_profiles=["Référent de parcours PRE"]
    )
    late = make_event(
        session, title="Trop tard", registration_deadline=utcnow() - timedelta(hours=1)
    )
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        register_on_web(client, live, f"/e/{full.code}", profile_form(email="first@exemple.fr"))
        assert "complet et n&#39;a pas de liste d&#39;attente" in client.get(f"/e/{full.code}").text
        token = csrf_of(client.get("/mes-inscriptions").text)  # a form left open in a tab
        second = client.post(
            f"/e/{full.code}", data={**profile_form(email="second@exemple.fr"), "csrf": token}
        )
        assert second.status_code == 409 and "complet" in second.text
        refused = post_form(client, f"/e/{reserved.code}", profile_form(email="x@exemple.fr"))
        assert refused.status_code == 409 and "réservée aux profils" in refused.text
        assert "date limite" in client.get(f"/e/{late.code}").text
    with _fresh(session) as fresh:
        assert people.by_email(fresh, "second@exemple.fr") is None
        assert people.by_email(fresh, "x@exemple.fr") is None


def test_waiting_list_position_then_promotion_after_a_web_cancellation(
    live: Live, session: Session
) -> None:
    event = make_event(session, title="Une seule place", capacity=1)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        register_on_web(client, live, f"/e/{event.code}", profile_form(email="a@exemple.fr"))
        full_page = text_of(client.get(f"/e/{event.code}").text)
        assert "Complet pour l'instant : en vous inscrivant, vous serez sur la liste" in full_page
        waiting = post_form(client, f"/e/{event.code}", profile_form(email="b@exemple.fr"))
        assert "Complet pour l'instant" in waiting.text  # said before the link is followed
        link = _asked_link(live, "b@exemple.fr")
        confirm_page = client.get(link)
        assert "Complet pour l'instant : vous serez sur la liste d'attente" in text_of(
            confirm_page.text
        )
        last = client.post(link, data={"csrf": csrf_of(confirm_page.text)})
        assert "<h1>Vous êtes sur la liste d'attente</h1>" in last.text
        assert "position 1" in last.text
        mails = {m["To"]: m for m in live.deliver()}
        assert "Liste d'attente" in mails["b@exemple.fr"]["Subject"]
        manage = link_in(mails["a@exemple.fr"]).replace(live.base, "")
        overview = client.get(manage)
        assert "Inscription confirmée" in overview.text
        cancel_link = next(
            p.split('"')[0] for p in overview.text.split('href="') if "/annuler/" in p
        )
        form = client.get(cancel_link)
        assert "Confirmer ma désinscription" in form.text
        after = client.post(cancel_link, data={"csrf": csrf_of(form.text)})
        assert "Votre désinscription est enregistrée" in after.text
    statuses = {r.person_id: r.status for r in _registrations(session, event.id)}
    assert sorted(statuses.values()) == [RegistrationStatus.CANCELLED, RegistrationStatus.CONFIRMED]
    subjects = [m["Subject"] for m in live.deliver()]
    assert any("Une place pour vous" in s for s in subjects)


def test_manage_link_request_profile_export_and_erase(live: Live, session: Session) -> None:
    person = make_person(session, email="moi@exemple.fr", first_name="Inès")
    event = make_event(session, title="Ma rencontre")
    registrations.register(session, event.id, person.id, source="telegram")
    session.commit()
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        known = post_form(client, "/mes-inscriptions", {"email": "moi@exemple.fr"})
        unknown = post_form(client, "/mes-inscriptions", {"email": "inconnu@exemple.fr"})
        assert known.text.replace("moi@", "X@") == unknown.text.replace("inconnu@", "X@")
        bad = post_form(client, "/mes-inscriptions", {"email": "n'importe quoi"})
        assert bad.status_code == 422 and 'id="email-erreur"' in bad.text
        [mail] = [m for m in live.deliver() if "Votre lien" in m["Subject"]]
        base = link_in(mail).replace(live.base, "")
        overview = client.get(base)
        assert "Ma rencontre" in overview.text and "Bonjour Inès" in overview.text
        invitation = client.get(next(
            p.split('"')[0] for p in overview.text.split('href="') if "/invitation/" in p
        ))  # fmt: skip
        assert b"BEGIN:VEVENT" in invitation.content
        assert "Non renseigné\u00a0: vous pouvez l&#39;indiquer" in overview.text
        exported = client.get(f"{base}/donnees.json").json()
        assert exported["personne"]["adresse_e_mail"] == "moi@exemple.fr"
        assert exported["personne"]["type_de_structure"] is None
        profile = client.get(f"{base}/profil")
        wrong = client.post(f"{base}/profil", data={"csrf": csrf_of(profile.text), "nom": ""})
        assert wrong.status_code == 422 and "Le champ nom est vide." in wrong.text
        assert _type_error(wrong)
        fixed = profile_form(prenom="Inès-Marie", email="autre@exemple.fr", type_structure="3")
        saved = client.post(f"{base}/profil", data={**fixed, "csrf": csrf_of(profile.text)})
        assert "Votre profil est corrigé" in saved.text
        assert "<dt>Type de structure</dt><dd>Association</dd>" in saved.text
        assert 'value="3" selected' in client.get(f"{base}/profil").text
        exported = client.get(f"{base}/donnees.json").json()
        assert exported["personne"]["type_de_structure"] == "Association"
        with _fresh(session) as fresh:
            stored = fresh.get(Person, person.id)
            assert stored is not None and stored.first_name == "Inès-Marie"
            assert stored.email == "moi@exemple.fr"  # the address is not changed by the form
        erase_page = client.get(f"{base}/supprimer")
        erased = client.post(f"{base}/supprimer", data={"csrf": csrf_of(erase_page.text)})
        assert "Vos données sont supprimées" in erased.text
        assert client.get(base).status_code == 404  # the link dies with the data
    with _fresh(session) as fresh:
        gone = fresh.get(Person, person.id)
        assert gone is not None and gone.erased_at is not None and gone.email is None


def _ines_with_three_places(session: Session) -> None:
    """A confirmed webinar, a waiting-list place on another, a cancelled registration."""
    person = make_person(
        session, email="ines@exemple.fr", first_name="Inès", last_name="Haddad",
        organisation="Centre social Espoir", phone="06 12 34 56 78", profile_id=2,
        departement_code="91", structure_type_id=3,
    )  # fmt: skip
    other = make_person(session, email="autre@exemple.fr")
    webinar = make_event(
        session, title="Atelier numérique", format="distanciel",
        visio_url="https://visio.exemple.fr/atelier-2031",
    )  # fmt: skip
    full = make_event(
        session, title="Webinaire complet", capacity=1, format="distanciel",
        visio_url="https://visio.exemple.fr/complet",
    )  # fmt: skip
    left = make_event(session, title="Rencontre quittée")
    registrations.register(session, webinar.id, person.id, source="web")
    registrations.register(session, full.id, other.id, source="web")
    registrations.register(session, full.id, person.id, source="web")
    gone = registrations.register(session, left.id, person.id, source="telegram").registration
    session.commit()
    registrations.cancel(session, gone.id, "test")
    session.commit()


def test_manage_page_shows_the_whole_profile_and_hands_a_french_data_file(
    live: Live, session: Session
) -> None:
    """Every stored field of the profile is on the page; the download lists every
    registration in French words and shows no path of the server."""
    _ines_with_three_places(session)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        base = _manage_link(live, client, "ines@exemple.fr")
        page = client.get(base).text
        facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
        for shown in ("Haddad", "Inès", "ines@exemple.fr", "0612345678", "Centre social Espoir",
                      "Association", "Référent de parcours PRE", "91 Essonne"):  # fmt: skip
            assert f"<dd>{shown}</dd>" in facts, shown
        download = client.get(f"{base}/donnees.json")
    assert download.headers["content-disposition"] == 'attachment; filename="mes-donnees.json"'
    data = download.json()
    rows = {row["rencontre"]: row for row in data["inscriptions"]}
    assert rows["Atelier numérique"]["etat"] == "confirmée"
    assert rows["Webinaire complet"]["etat"] == "liste d'attente"
    assert rows["Webinaire complet"]["position_sur_la_liste_d_attente"] == 1
    assert rows["Rencontre quittée"]["etat"] == "annulée"
    assert rows["Rencontre quittée"]["canal"] == "Telegram"
    assert data["personne"]["profil_professionnel"] == "Référent de parcours PRE"
    assert "profile_id" not in download.text and "first_name" not in download.text
    sent = [mail for mail in data["emails"] if mail["etat"] == "envoyé"]
    assert sent and all(mail["e_mail"] for mail in sent)
    assert "/" not in "".join(str(mail["reponse_du_serveur"]) for mail in data["emails"])


def test_manage_page_cards_link_confirmed_webinars_and_name_events_for_screen_readers(
    live: Live, session: Session
) -> None:
    _ines_with_three_places(session)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get(_manage_link(live, client, "ines@exemple.fr")).text
    assert 'href="https://visio.exemple.fr/atelier-2031"' in page
    assert "visio.exemple.fr/complet" not in page  # on the waiting list: no link yet
    assert '<span class="sr"> d&#39;Atelier numérique</span>' in page
    assert '<span class="sr"> de Webinaire complet</span>' in page
    assert page.count("Voici vos inscriptions à venir") == 1
    assert "aucune inscription" not in page.lower()


def test_cancel_page_of_a_waiting_list_place_elides_de(live: Live, session: Session) -> None:
    first, waiting = make_person(session), make_person(session, email="attend@exemple.fr")
    event = make_event(session, title="Atelier complet", capacity=1)
    registrations.register(session, event.id, first.id, source="web")
    place = registrations.register(session, event.id, waiting.id, source="web").registration
    session.commit()
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        base = _manage_link(live, client, "attend@exemple.fr")
        page = client.get(f"{base}/annuler/{place.id}").text
    assert "place sur la liste d'attente d'« Atelier complet »," in text_of(page)
    assert "Vous ne serez plus prévenu·e si une place se libère." in text_of(page)
    assert "Votre place ira" not in page


def test_manage_page_without_registrations_says_it_once(live: Live, session: Session) -> None:
    make_person(session, email="vide@exemple.fr", first_name="Léo")
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get(_manage_link(live, client, "vide@exemple.fr")).text
    assert "Bonjour Léo. Vous n'avez aucune inscription à venir." in page
    assert "Voici vos inscriptions" not in page


def test_profile_page_says_the_address_cannot_be_changed_and_how(
    live: Live, session: Session
) -> None:
    make_person(session, email="fixe@exemple.fr")
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get(_manage_link(live, client, "fixe@exemple.fr") + "/profil").text
    field = page.split('<label for="email">')[1].split("</div>")[0]
    assert "(non modifiable)" in field and "(obligatoire)" not in field
    assert "readonly" in field and "required" not in field
    assert "inscrivez-vous à votre prochaine rencontre avec cette nouvelle adresse" in field
    assert "La confirmation et l&#39;invitation y seront envoyées" not in field


def _manage_link(live: Live, client: httpx.Client, email: str) -> str:
    """Ask for the link as a person does, and follow the one the e-mail carries."""
    post_form(client, "/mes-inscriptions", {"email": email})
    [mail] = [m for m in live.deliver() if m["To"] == email and "Votre lien" in m["Subject"]]
    return link_in(mail).replace(live.base, "")


def test_expired_forged_and_misused_links_get_clear_pages(live: Live, session: Session) -> None:
    person = make_person(session, email="lien@exemple.fr")
    expired = tokens.make("manage", str(person.id), "lien@exemple.fr", timedelta(seconds=-1))
    confirm_token = access.confirm_url(f"{person.id}-e1", "lien@exemple.fr").rsplit("/", 1)[1]
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get(f"/mes-inscriptions/{expired}")
        assert page.status_code == 410 and "Ce lien a expiré" in page.text
        forged = client.get(f"/mes-inscriptions/{person.id}.9999999999.AAAAAAAAAAAAAAAAAAAAAA")
        assert forged.status_code == 404 and "Ce lien n'est pas valable" in forged.text
        misused = client.get(f"/mes-inscriptions/{confirm_token}")
        assert misused.status_code == 404


def test_csrf_honeypot_and_rate_limits(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relais.settings import get_settings

    event = make_event(session, capacity=10)
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        client.get(f"/e/{event.code}")
        no_token = client.post(f"/e/{event.code}", data=profile_form())
        assert no_token.status_code == 403 and "Le formulaire a expiré" in no_token.text
        robot = post_form(client, f"/e/{event.code}", profile_form(site_web="http://spam"))
        assert robot.status_code == 200 and "Regardez votre messagerie" in robot.text
        assert _registrations(session, event.id) == []
        monkeypatch.setenv("WEB_RATE_PER_EMAIL", "2")
        get_settings.cache_clear()
        for _ in range(2):
            post_form(client, "/mes-inscriptions", {"email": "same@exemple.fr"})
        limited = post_form(client, "/mes-inscriptions", {"email": "same@exemple.fr"})
        assert limited.status_code == 429 and "Trop de demandes" in limited.text


def test_refused_and_wrong_forms_still_count_against_the_limits(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal rolls the registration back with its transaction, and a wrong form never
    reaches it: both still count, or anybody could probe without limit."""
    from relais.settings import get_settings

    full = make_event(session, title="Complet", capacity=1, waitlist_enabled=False)
    monkeypatch.setenv("WEB_RATE_PER_EMAIL", "2")
    get_settings.cache_clear()
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        register_on_web(client, live, f"/e/{full.code}", profile_form(email="premiere@exemple.fr"))
        token = csrf_of(client.get("/mes-inscriptions").text)  # the full event shows no form

        def attempt(**changes: str) -> int:
            form = {**profile_form(**changes), "csrf": token}
            return client.post(f"/e/{full.code}", data=form).status_code

        assert [attempt(email="essai@exemple.fr") for _ in range(3)] == [409, 409, 429]
        wrong = [attempt(email="faux@exemple.fr", profil="x") for _ in range(3)]
        assert wrong == [422, 422, 429]
    assert people.by_email(_fresh(session), "essai@exemple.fr") is None


def test_a_cycle_page_registers_to_every_session(live: Live, session: Session) -> None:
    from relais.events import services as events
    from relais.events.schemas import EventInput

    start = utcnow() + timedelta(days=5)
    sessions = [
        EventInput(title=f"Séance {n}", starts_at=start + timedelta(days=7 * n), capacity=5)
        for n in range(3)
    ]
    series, created = events.create_series(session, "Cycle qualification", sessions, "test")
    later = start + timedelta(days=40)
    draft = events.create(  # a copy being prepared: neither shown nor blocking
        session, EventInput(title="SECRET brouillon", starts_at=later, status="draft"), "test",
        series_id=series.id,
    )  # fmt: skip
    dropped = events.create(
        session, EventInput(title="Séance annulée", starts_at=later), "test", series_id=series.id
    )
    events.cancel(session, dropped.id or 0, "Salle indisponible", "test")
    session.commit()
    with httpx.Client(base_url=live.base, follow_redirects=True) as client:
        page = client.get(f"/c/{series.code}")
        assert "SECRET" not in page.text and 'name="consentement"' in page.text
        assert f"https://t.me/RelaisCRPVBot?start=c_{series.code}" in page.text
        event_page = client.get(f"/e/{created[0].code}")
        assert f'href="/c/{series.code}"' in event_page.text
        done = register_on_web(
            client, live, f"/c/{series.code}", profile_form(email="cycle@exemple.fr")
        )
    assert "Inscription confirmée" in done.text and done.text.count("inscription confirmée") == 3
    for event in created:
        [registration] = _registrations(session, event.id)
        assert registration.status == RegistrationStatus.CONFIRMED
    assert _registrations(session, draft.id) == _registrations(session, dropped.id) == []
    assert len(live.deliver()) == 1 + 3  # the link, then one invitation per session


@pytest.mark.parametrize(
    "path",
    [
        "/?thematique=²&reseau=99999999999999",
        "/mes-inscriptions/99999999999999999999.9999999999.AAAAAAAAAAAAAAAAAAAAAA",
        "/inscription/confirmer/1-e99999999999999.9999999999.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_strange_numbers_get_a_page_not_an_error(live: Live, path: str) -> None:
    with httpx.Client(base_url=live.base) as client:
        answer = client.get(path)
    assert answer.status_code in (200, 404) and "Problème technique" not in answer.text


def test_pages_keep_the_strict_policy_and_let_only_the_logo_in(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relais.settings import get_settings

    with httpx.Client(base_url=live.base) as client:
        plain = client.get("/").headers["content-security-policy"]
        assert "script-src" not in plain and "img-src 'self' data:" in plain
        monkeypatch.setenv("ORGANISATION_LOGO_URL", "https://crpv.example/logo.png")
        get_settings.cache_clear()
        page = client.get("/")
    assert "img-src 'self' https://crpv.example data:" in page.headers["content-security-policy"]
    assert '<img src="https://crpv.example/logo.png"' in page.text


def test_site_wide_errors_wear_the_public_site_look(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """404, 405 and 500 on any address: the CRPV's name and stylesheet, a way back to the
    agenda, and for a 500 words that make sense to someone who used the form."""
    from web import pages

    def broken(*_args: object) -> object:
        raise RuntimeError("base cassée")

    with httpx.Client(base_url=live.base) as client:
        missing = client.get("/nulle-part")
        wrong_method = client.delete("/")
        monkeypatch.setattr(pages, "_agenda", broken)
        failure = client.get("/")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    assert wrong_method.status_code == 405 and "Action impossible" in wrong_method.text
    assert failure.status_code == 500 and "Un problème technique est survenu" in failure.text
    for response in (missing, wrong_method, failure):
        assert 'href="/relais.css"' in response.text and 'class="brand" href="/"' in response.text
        assert "CRPV Île-de-France" in response.text
        assert 'class="brand">Ressources Info' not in response.text
    assert "lettres" not in failure.text and "base cassée" not in failure.text
    assert "relais@crpv.example" in failure.text  # whom to write to


def test_a_reserved_event_says_so_above_the_form_with_whom_to_contact(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before typing nine fields, a newcomer reads who may register and whom to write to."""
    from relais.networks import services as networks
    from relais.settings import get_settings

    network = networks.create(session, "Réseau des médiateurs 93", "test", code="MED93")
    session.commit()
    members = make_event(
        session, title="Rencontre du réseau", networks=[network.code], members_only=True
    )
    pre = make_event(session, title="Entre PRE", audience_profiles=["Référent de parcours PRE"])
    open_to_all = make_event(session, title="Pour tous")
    monkeypatch.setenv("ORGANISATION_CONTACT_EMAIL", "accueil@crpv.example")
    get_settings.cache_clear()
    with httpx.Client(base_url=live.base) as client:
        members_page, pre_page, open_page = (
            client.get(f"/e/{e.code}").text for e in (members, pre, open_to_all)
        )
    note = members_page.split('id="reserve"')[1].split("<form")[0]
    assert "Inscription réservée aux membres du réseau\u00a0: Réseau des médiateurs 93" in note
    assert 'href="mailto:accueil@crpv.example"' in note
    assert "aux profils suivants\u00a0: Référent de parcours PRE" in pre_page.split("<form")[0]
    assert 'id="reserve"' not in open_page


def test_an_expired_form_comes_back_filled_with_a_fresh_token(live: Live, session: Session) -> None:
    """A tab left open until the cookie went: the form again, what was typed kept (the
    honeypot not), a new token that works, and nothing recorded before it is sent again."""
    event = make_event(session, capacity=10)
    typed = profile_form(nom="Benali-Duval", site_web="rempli", telephone="01 23 45 67 89")
    with httpx.Client(base_url=live.base) as stale:
        expired = stale.post(f"/e/{event.code}", data={**typed, "csrf": "0" * 64})
        assert expired.status_code == 403 and "Le formulaire a expiré" in expired.text
        assert "vérifiez-le et renvoyez-le" in expired.text
        for kept in ('value="Benali-Duval"', 'value="01 23 45 67 89"', 'value="93" selected'):
            assert kept in expired.text
        assert 'value="rempli"' not in expired.text and "0" * 64 not in expired.text
        assert _registrations(session, event.id) == []
        again = stale.post(
            f"/e/{event.code}", data={**typed, "site_web": "", "csrf": csrf_of(expired.text)}
        )
    assert again.status_code == 200 and "Regardez votre messagerie" in again.text


def test_a_too_long_field_is_said_plainly(live: Live, session: Session) -> None:
    event = make_event(session)
    with httpx.Client(base_url=live.base) as client:
        page = post_form(
            client, f"/e/{event.code}", profile_form(nom="N" * 101, structure="S" * 201)
        )
    assert page.status_code == 422
    assert "Le nom est trop long\u00a0: 100 caractères au plus." in page.text
    assert "Le nom de la structure est trop long\u00a0: 200 caractères au plus." in page.text


def test_french_spacing_keeps_guillemets_and_colons_with_their_words(
    live: Live, session: Session
) -> None:
    """At 375 px « à « » or a lone « : » must never end or begin a line: the spaces inside
    « » and before : ; ! ? do not break. What a person typed comes back untouched."""
    event = make_event(session, title="Webinaire : « santé » et quartiers ?")
    with httpx.Client(base_url=live.base) as client:
        page = client.get(f"/e/{event.code}").text
        typed = post_form(client, f"/e/{event.code}", profile_form(structure="A : B « C »", nom=""))
    assert "<h1>Webinaire\u00a0: «\u202fsanté\u202f» et quartiers\u202f?</h1>" in page
    assert "Tous les champs sont obligatoires" in page and "Exemple\u00a0: prenom.nom" in page
    words = re.sub(r"<[^>]+>", "", page.split("<body>", 1)[1])
    assert re.findall(r"« | [:;!?»]", words) == []
    assert 'value="A : B « C »"' in typed.text.replace("&#34;", '"')


def test_filtered_agenda_shows_the_count_and_filters_first_with_the_panel_closed(
    live: Live, session: Session
) -> None:
    """On a phone the results must come right after the filters: the panel folds, the count,
    the filters in use and « Tout afficher » come first. The département of the venue counts."""
    make_event(session, title="À Montreuil", venue="12 rue Diderot, 93100 Montreuil", theme="Santé")
    make_event(session, title="À Dijon", venue="Salle des fêtes, 21000 Dijon", theme="Santé")
    make_event(session, title="En ligne", format="distanciel", theme="Culture")
    with httpx.Client(base_url=live.base) as client:
        everything = client.get("/").text
        filtered = client.get("/?departement=93").text
    assert "<strong>3 événements</strong>" in everything and "Tout afficher" not in everything
    assert ">Toutes</a>" in everything and ">Webinaire</a>" in everything
    assert 'href="/?departement=93"' in everything  # offered: a venue is there
    assert '<details class="filters">' in filtered  # folded, filters or not
    assert "<strong>1 événement</strong> avec ces filtres" in filtered
    assert "<li>Département\u00a0: 93 Seine-Saint-Denis</li>" in filtered
    assert '<a href="/">Tout afficher</a>' in filtered
    assert "À Montreuil" in filtered and "À Dijon" not in filtered
    assert filtered.index("Tout afficher") < filtered.index("À Montreuil")
