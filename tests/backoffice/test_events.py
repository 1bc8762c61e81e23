"""Events and registrations from the back office over real HTTP: the CLI's validation with
errors beside fields, an edit that sends updated invitations, the table's filters and sort,
the exports of the filtered rows, someone added by hand who gets the usual e-mails."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import httpx
from openpyxl import load_workbook
from sqlmodel import Session, select

from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.events.models import Event, EventStatus
from relais.people.models import Person
from relais.registrations import services as registrations
from relais.registrations.models import Registration
from relais.timefmt import local, utcnow
from tests.backoffice.conftest import coordinator, mails_to, network, sign_in
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of

ADMIN = "charge.mission@crpv.example"


def _future(days: int, hour: str = "09:30") -> str:
    return (local(utcnow()) + timedelta(days=days)).strftime(f"%d/%m/%Y {hour}")


def test_create_with_errors_beside_fields_then_edit_sends_updates(
    live: Live, session: Session
) -> None:
    mine = network(session, "Réseau des médiateurs – 93")
    coordinator(session, ADMIN)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        token = csrf_of(client.get("/gestion/evenements/nouveau").text)
        wrong = client.post("/gestion/evenements/nouveau", data={
            "csrf": token, "titre": "AB", "debut": "31/02/2027 25:00", "places": "beaucoup",
            "lien": "visio.exemple.fr", "reseaux": mine.code,
        })  # fmt: skip
        page = html.unescape(wrong.text)
        assert wrong.status_code == 422
        for name in ("titre", "debut", "places", "lien"):
            assert f'id="{name}-erreur"' in page, name
        assert 'value="beaucoup"' in page and "champs à corriger" in page
        past = client.post("/gestion/evenements/nouveau", data={
            "csrf": token, "titre": "Rencontre passée", "debut": "01/01/2020 09:00",
        })  # fmt: skip
        assert past.status_code == 422 and 'id="debut-erreur"' in past.text
        assert session.exec(select(Event)).all() == []
        session.commit()
        created = client.post("/gestion/evenements/nouveau", data={
            "csrf": token, "titre": "Rencontre des médiateurs", "debut": _future(20),
            "fin": _future(20, "12:30"), "modalite": "presentiel", "lieu": "Maison des associations",
            "places": "2", "reseaux": mine.code,
        })  # fmt: skip
        assert created.status_code == 303
        event_page = client.get(created.headers["location"])
        assert "L'événement est créé." in html.unescape(event_page.text)
        event = session.exec(select(Event)).one()
        assert event.id is not None and event.capacity == 2
        session.commit()
        person = make_person(session, email="amina@exemple.fr")
        assert person.id is not None
        registrations.register(session, event.id, person.id, source="bot")
        session.commit()
        live.deliver()
        edit = client.get(f"/gestion/evenements/{event.id}/modifier")
        assert 'value="Maison des associations"' in edit.text
        moved = client.post(f"/gestion/evenements/{event.id}/modifier", data={
            "csrf": token, "titre": "Rencontre des médiateurs", "debut": _future(21),
            "fin": _future(21, "12:30"), "modalite": "presentiel", "lieu": "Salle Pablo Neruda",
            "places": "2",
        })  # fmt: skip
        assert moved.status_code == 303
        updates = [m for m in mails_to(live, "amina@exemple.fr") if "Salle Pablo Neruda" in str(m)]
        assert updates and "METHOD:REQUEST" in str(updates[-1])
        copy = client.post(f"/gestion/evenements/{event.id}/dupliquer", data={
            "csrf": token, "debut": _future(60)})  # fmt: skip
        assert copy.status_code == 303
        published = client.post(
            copy.headers["location"].split("?")[0] + "/publier", data={"csrf": token}
        )
        assert published.status_code == 303
    session.expire_all()
    assert session.get(Event, event.id).sequence == 1  # type: ignore[union-attr]
    statuses = sorted(e.status for e in session.exec(select(Event)))
    assert statuses == [EventStatus.PUBLISHED, EventStatus.PUBLISHED]


def test_table_filters_sorts_exports_and_adds_by_hand(live: Live, session: Session) -> None:
    coordinator(session, ADMIN)
    event = make_event(session, title="Webinaire santé", capacity=2)
    assert event.id is not None
    people = [
        make_person(session, last_name="Zola", first_name="Émile", email="z@exemple.fr",
                    organisation="=HYPERLINK(1)", departement_code="93", profile_id=1),
        make_person(session, last_name="Bénali", first_name="Amina", email="a@exemple.fr",
                    organisation="Ville de Saint-Denis", departement_code="93", profile_id=2),
        make_person(session, last_name="Martin", first_name="Léa", email="l@exemple.fr",
                    organisation="Ville d'Évry", departement_code="91", profile_id=1),
    ]  # fmt: skip
    for person in people:
        assert person.id is not None
        registrations.register(session, event.id, person.id, source="web")
    session.commit()
    base = f"/gestion/evenements/{event.id}"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        page = client.get(base, params={"tri": "nom"}).text
        names = re.findall(r'<th scope="row">([^<]+)</th>', page)
        assert names == ["Bénali Amina", "Martin Léa", "Zola Émile"]
        reverse = client.get(base, params={"tri": "nom", "ordre": "desc"}).text
        assert re.findall(r'<th scope="row">([^<]+)</th>', reverse)[0] == "Zola Émile"
        only_93 = client.get(base, params={"departement": "93", "q": "benali"}).text
        assert re.findall(r'<th scope="row">([^<]+)</th>', only_93) == ["Bénali Amina"]
        waiting = client.get(base, params={"statut": "attente"}).text
        assert re.findall(r'<th scope="row">([^<]+)</th>', waiting) == ["Martin Léa"]
        filtered = {"departement": "93"}
        sheet = client.get(f"{base}/export.csv", params=filtered)
        assert (
            sheet.headers["content-disposition"]
            == f'attachment; filename="inscriptions-{event.code}.csv"'
        )
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == 3 and "'=HYPERLINK(1)" in [cell for row in rows for cell in row]
        book = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx", params=filtered).content))
        assert book.active is not None and book.active.max_row == 3
        pdf = client.get(f"{base}/export.pdf", params=filtered)
        assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
        token = csrf_of(page)
        wrong = client.post(f"{base}/ajouter", data={"csrf": token, "nom": "", "email": "x"})
        assert wrong.status_code == 422
        for name in (
            "nom",
            "prenom",
            "email",
            "structure",
            "type_structure",
            "profil",
            "departement",
        ):
            assert f'id="{name}-erreur"' in wrong.text, name
        added = client.post(f"{base}/ajouter", data={
            "csrf": token, "nom": "Durand", "prenom": "Paul", "email": "paul.durand@exemple.fr",
            "structure": "Association Trait d'union", "type_structure": "1", "profil": "1",
            "departement": "93",
            "telephone": "",
        })  # fmt: skip
        assert added.status_code == 303 and "fait=ajout-attente" in added.headers["location"]
        twice = client.post(f"{base}/ajouter", data={
            "csrf": token, "nom": "Durand", "prenom": "Paul", "email": "paul.durand@exemple.fr",
            "structure": "Association", "type_structure": "1", "profil": "1", "departement": "93",
        })  # fmt: skip
        assert twice.status_code == 422 and 'id="email-erreur"' in twice.text
    received = mails_to(live, "paul.durand@exemple.fr")
    assert len(received) == 1 and "attente" in str(received[0]["Subject"]).lower()
    paul = session.exec(select(Person).where(Person.email == "paul.durand@exemple.fr")).one()
    assert paul.first_name == "Paul" and paul.structure_type_id == 1


def test_the_day_marks_presence_of_expected_people_only(live: Live, session: Session) -> None:
    coordinator(session, ADMIN)
    event = make_event(session, title="Rencontre du jour", starts_at=utcnow() + timedelta(hours=1))
    expected, stranger = make_person(session, last_name="Benali"), make_person(session)
    assert event.id is not None and expected.id is not None and stranger.id is not None
    registrations.register(session, event.id, expected.id, source="web")
    session.commit()
    base = f"/gestion/evenements/{event.id}/jour-j"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        page = client.get(base, params={"q": "benali"})
        assert page.status_code == 200 and "0</strong> présent sur 1 inscrit" in page.text
        token = csrf_of(page.text)
        marked = client.post(base, data={"csrf": token, "present": str(expected.id)})
        assert marked.status_code == 303
        assert "1</strong> présent sur 1 inscrit" in client.get(base).text
        forged = client.post(base, data={"csrf": token, "present": str(stranger.id)})
        assert forged.status_code == 404
        poster = client.get(f"/gestion/evenements/{event.id}/affiche.pdf")
        assert poster.content.startswith(b"%PDF")
    rows = session.exec(select(Attendance)).all()
    assert [(a.person_id, a.status, a.method, a.recorded_by) for a in rows] == [
        (expected.id, AttendanceStatus.PRESENT, AttendanceMethod.COORDINATOR, f"email:{ADMIN}")
    ]
    assert len(session.exec(select(Registration)).all()) == 1


def test_write_to_the_selected_people_with_preview_through_the_outbox(
    live: Live, session: Session
) -> None:
    coordinator(session, ADMIN)
    event = make_event(session, title="Rencontre PRE", capacity=5)
    chosen = [make_person(session, first_name=name, email=f"{name.lower()}@exemple.fr")
              for name in ("Amina", "Paul", "Léa")]  # fmt: skip
    made = []
    for person in chosen:
        assert event.id is not None and person.id is not None
        made.append(registrations.register(session, event.id, person.id, source="web").registration)
    registrations.cancel(session, made[2].id or 0, "test")
    session.commit()
    ids = [str(r.id) for r in made]
    base = f"/gestion/evenements/{event.id}"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        page = client.get(base)
        token = csrf_of(page.text)
        assert page.text.count('name="choix"') == 2  # no box for the cancellation
        nobody = client.post(f"{base}/inscriptions", data={"csrf": token, "ecrire": "1"})
        assert (
            nobody.status_code == 422 and "choisissez au moins une personne" in nobody.text.lower()
        )
        form = client.post(
            f"{base}/inscriptions", data={"csrf": token, "ecrire": "1", "choix": ids}
        )
        assert form.status_code == 200 and "à 2 personnes" in form.text
        letter = {"csrf": token, "choix": ids, "objet": "Salle\r\nBcc: espion@exemple.fr",
                  "message": "La rencontre a lieu <b>salle 4</b>.\n\nÀ jeudi !"}  # fmt: skip
        empty = client.post(f"{base}/ecrire", data={**letter, "objet": "", "message": " "})
        assert empty.status_code == 422
        assert 'id="objet-erreur"' in empty.text and 'id="message-erreur"' in empty.text
        preview = client.post(f"{base}/ecrire", data={**letter, "apercu": "1"})
        assert "Bonjour Amina," in preview.text and "&lt;b&gt;salle 4&lt;/b&gt;" in preview.text
        assert live.deliver() and not mails_to(live, "paul@exemple.fr")[1:]
        sent = client.post(f"{base}/ecrire", data={**letter, "envoyer": "1"})
        assert sent.status_code == 303 and "envoyes=2" in sent.headers["location"]
    for address in ("amina@exemple.fr", "paul@exemple.fr"):
        letters = [m for m in mails_to(live, address) if "Salle" in str(m["Subject"])]
        assert len(letters) == 1, address
        assert str(letters[0]["Subject"]) == "Salle Bcc: espion@exemple.fr"
        assert letters[0]["Bcc"] is None
        html_part = letters[0].get_body(preferencelist=("html",))
        assert html_part is not None and "&lt;b&gt;salle 4&lt;/b&gt;" in html_part.get_content()
    assert not [m for m in mails_to(live, "léa@exemple.fr") if "Salle" in str(m["Subject"])]
