"""« Le jour J » over real HTTP on the real server: walk-ins added on the spot (errors beside
fields, with or without an address), the printable QR poster, and a Zoom report imported
line by line — bad lines refused with their French reason and nothing recorded, then left
aside on request."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.audit import AuditEntry
from relais.events import services as events
from relais.people.models import Person
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow
from tests.backoffice.conftest import coordinator, sign_in
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of, text_of

ADMIN = "charge.mission@crpv.example"
ZOOM = (
    "Nom (nom d'origine),E-mail de l'utilisateur,Durée (minutes)\n"
    "Amina Benali,amina@exemple.fr,92\n"
    "Paul Durand (Paul D.),paul@exemple.fr,80\n"
    "Jean Inconnu,,60\n"
    "Léa Martin,lea@exemple.fr,une heure\n"
    ",,30\n"
    "Amina Benali,amina@exemple.fr,10\n"
)


def _attendance(session: Session) -> list[tuple[int, AttendanceStatus, AttendanceMethod]]:
    session.expire_all()
    rows = session.exec(select(Attendance).order_by(Attendance.person_id)).all()  # type: ignore[arg-type]
    found = [(a.person_id, a.status, a.method) for a in rows]
    session.commit()
    return found


def test_walk_ins_are_registered_on_the_spot_and_present(live: Live, session: Session) -> None:
    coordinator(session, ADMIN)
    event = make_event(session, title="Rencontre du jour", starts_at=utcnow() + timedelta(hours=1))
    known = make_person(session, first_name="Amina", last_name="Benali", email="amina@exemple.fr")
    assert event.id is not None and known.id is not None
    base = f"/gestion/evenements/{event.id}/jour-j"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        page = client.get(base)
        assert 'id="sur-place"' in page.text and "0</strong> présent sur 0 inscrit" in page.text
        token = csrf_of(page.text)
        wrong = client.post(f"{base}/sur-place", data={"csrf": token, "email": "pas-une-adresse"})
        assert wrong.status_code == 422
        for name in ("nom", "prenom", "email", "structure", "profil"):
            assert f'id="{name}-erreur"' in wrong.text, name
        assert 'value="pas-une-adresse"' in wrong.text and "champs à corriger" in wrong.text
        assert _attendance(session) == []
        nameless = {"csrf": token, "nom": "Martin", "prenom": "Léa", "email": "",
                    "structure": "Ville d'Évry", "profil": "1"}  # fmt: skip
        added = client.post(f"{base}/sur-place", data=nameless)
        assert added.status_code == 303 and "fait=sur-place" in added.headers["location"]
        shown = text_of(client.get(added.headers["location"]).text)
        assert "La personne est inscrite sur place et marquée présente." in shown
        assert "Martin Léa" in shown and "1 présent sur 1 inscrit" in shown
        same = {**nameless, "nom": "Benali", "prenom": "A.", "email": "Amina@Exemple.fr"}
        assert client.post(f"{base}/sur-place", data=same).status_code == 303
        again = client.post(f"{base}/sur-place", data=same)
        assert "fait=deja-present" in again.headers["location"]
    lea = session.exec(select(Person).where(Person.last_name == "Martin")).one()
    assert lea.email is None and lea.profile_id == 1
    session.refresh(known)
    assert known.first_name == "Amina"  # a known address keeps its stored profile
    marks = _attendance(session)
    assert sorted(marks) == sorted(
        [(known.id, AttendanceStatus.PRESENT, AttendanceMethod.COORDINATOR),
         (lea.id, AttendanceStatus.PRESENT, AttendanceMethod.COORDINATOR)]
    )  # fmt: skip
    seats = session.exec(select(Registration)).all()
    assert {(r.person_id, r.status, r.source) for r in seats} == {
        (known.id, RegistrationStatus.CONFIRMED, "checkin"),
        (lea.id, RegistrationStatus.CONFIRMED, "checkin"),
    }
    actors = {e.actor for e in session.exec(select(AuditEntry)) if e.action.startswith("attend")}
    assert actors == {f"email:{ADMIN}"}


def test_walk_in_to_a_cancelled_event_is_refused_beside_the_form(
    live: Live, session: Session
) -> None:
    coordinator(session, ADMIN)
    event = make_event(session, title="Rencontre annulée")
    assert event.id is not None
    events.cancel(session, event.id, "Salle fermée", "test")
    session.commit()
    base = f"/gestion/evenements/{event.id}/jour-j"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        token = csrf_of(client.get(base).text)
        refused = client.post(f"{base}/sur-place", data={
            "csrf": token, "nom": "Martin", "prenom": "Léa", "structure": "Ville", "profil": "1"})  # fmt: skip
    assert refused.status_code == 422 and 'id="nom-erreur"' in refused.text
    assert "Cet événement est annulé." in html.unescape(refused.text)
    assert session.exec(select(Person).where(Person.last_name == "Martin")).first() is None


def test_the_printable_poster_shows_the_check_in_code(live: Live, session: Session) -> None:
    coordinator(session, ADMIN)
    event = make_event(session, title="Rencontre des médiateurs", venue="Salle Neruda")
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        poster = client.get(f"/gestion/evenements/{event.id}/affiche")
    assert poster.status_code == 200
    assert re.search(r'<img class="poster-qr" src="data:image/svg\+xml', poster.text)
    words = text_of(poster.text)
    assert "Rencontre des médiateurs" in words and "Salle Neruda" in words
    assert f"/start p_{event.code}" in words


def _report_setup(session: Session) -> tuple[int, int, int]:
    coordinator(session, ADMIN)
    event = make_event(session, title="Webinaire santé", format="distanciel")
    amina = make_person(session, first_name="Amina", last_name="Benali", email="amina@exemple.fr")
    paul = make_person(session, first_name="Paul", last_name="Durand", email="paul@exemple.fr")
    assert event.id is not None and amina.id is not None and paul.id is not None
    registrations.register(session, event.id, amina.id, source="web")
    session.commit()
    return event.id, amina.id, paul.id


def test_report_with_bad_lines_records_nothing_then_leaves_them_aside(
    live: Live, session: Session
) -> None:
    event_id, amina, paul = _report_setup(session)
    base = f"/gestion/evenements/{event_id}/rapport"
    upload = {"rapport": ("zoom.csv", ZOOM.encode(), "text/csv")}
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        form = client.get(base)
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        token = csrf_of(form.text)
        nothing = client.post(base, data={"csrf": token}, files={"rapport": ("", b"", "text/csv")})
        assert nothing.status_code == 422 and 'id="rapport-erreur"' in nothing.text
        bad_minimum = client.post(base, data={"csrf": token, "duree": "beaucoup"}, files=upload)
        assert bad_minimum.status_code == 422 and 'id="duree-erreur"' in bad_minimum.text
        no_table = client.post(
            base, data={"csrf": token}, files={"rapport": ("notes.csv", b"a;b\n1;2\n", "text/csv")}
        )
        assert no_table.status_code == 422
        assert "Aucun tableau de participants trouvé dans notes.csv" in html.unescape(no_table.text)
        refused = client.post(base, data={"csrf": token, "duree": "30"}, files=upload)
        assert refused.status_code == 422
        lines = text_of(refused.text)
        assert "2 lignes illisibles : rien n'a été enregistré" in lines
        assert _attendance(session) == []
        kept = client.post(
            base, data={"csrf": token, "duree": "30", "ignorer": "oui"}, files=upload
        )
        assert kept.status_code == 200
        result = text_of(kept.text)
        forged = client.post(base, files=upload)
    expected = [
        "2 Amina Benali amina@exemple.fr inscrite, marquée présente",
        "3 Paul Durand (Paul D.) paul@exemple.fr n'était pas inscrite : inscrite et marquée présente",
        "4 Jean Inconnu personne inconnue : inscrivez-la (ou ajoutez-la sur place), puis marquez-la",
        "5 Léa Martin,lea@exemple.fr,une heure ligne illisible : durée « une heure » illisible ; "
        "le rapport doit donner des minutes (92), des heures (1 h 32 min) ou HH:MM:SS",
        "6 ,,30 ligne illisible : ni nom ni adresse e-mail : la personne ne peut pas être reconnue",
        "7 Amina Benali amina@exemple.fr inscrite, marquée présente",
    ]
    table = " ".join(result.split("Le rapport ligne par ligne", 1)[1].split()).replace(" \n", "\n")
    for line in expected:
        assert " ".join(line.split()) in table, line
    assert "2 personnes présentes (2 nouvelles)" in result and "2 lignes illisibles" in result
    # the forged post (no token) changed nothing more
    assert forged.status_code == 403
    assert _attendance(session) == [
        (amina, AttendanceStatus.PRESENT, AttendanceMethod.IMPORT),
        (paul, AttendanceStatus.PRESENT, AttendanceMethod.IMPORT),
    ]
    imported = session.exec(select(AuditEntry).where(AuditEntry.action == "attendance.imported"))
    assert [entry.actor for entry in imported] == [f"email:{ADMIN}"]
