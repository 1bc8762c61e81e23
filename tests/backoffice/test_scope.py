"""A coordinator limited to one network cannot see or act on another network's event, even
with forged requests on every back-office route; no session (or a participant's « Mes
inscriptions » link) reaches no back-office page; every change is audited with its author."""

from __future__ import annotations

import html

import httpx
from sqlmodel import Session, select

from relais.access import services as access
from relais.audit import AuditEntry
from relais.events.models import Event, EventStatus
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow
from tests.backoffice.conftest import coordinator, network, sign_in
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of

LIMITED = "coordo.93@crpv.example"


def _two_events(session: Session) -> tuple[Event, Event, Registration, Registration]:
    mine, other = (
        network(session, "Réseau des médiateurs – 93"),
        network(session, "Réseau PRE – 91"),
    )
    coordinator(session, LIMITED, mine)
    own = make_event(session, title="Rencontre des médiateurs", networks=[mine.code], capacity=1)
    theirs = make_event(session, title="Rencontre PRE secrète", networks=[other.code], capacity=1)
    assert own.id is not None and theirs.id is not None
    made = []
    for event_id in (own.id, theirs.id):
        first, second = make_person(session), make_person(session)
        assert first.id is not None and second.id is not None
        registrations.register(session, event_id, first.id, source="test")
        made.append(registrations.register(session, event_id, second.id, source="test"))
    session.commit()
    return own, theirs, made[0].registration, made[1].registration


def routes(event_id: int, registration_id: int) -> list[tuple[str, str, dict[str, str]]]:
    """Every back-office route that names an event (and the registration buttons)."""
    base = f"/gestion/evenements/{event_id}"
    plain = [
        ("GET", base), ("GET", f"{base}/modifier"), ("POST", f"{base}/modifier"),
        ("POST", f"{base}/publier"), ("GET", f"{base}/annuler"), ("POST", f"{base}/annuler"),
        ("GET", f"{base}/dupliquer"), ("POST", f"{base}/dupliquer"),
        ("GET", f"{base}/export.xlsx"), ("GET", f"{base}/export.csv"),
        ("GET", f"{base}/export.pdf"), ("GET", f"{base}/ajouter"), ("POST", f"{base}/ajouter"),
        ("GET", f"{base}/jour-j"), ("POST", f"{base}/jour-j"), ("GET", f"{base}/affiche.pdf"),
    ]  # fmt: skip
    letter = {"choix": str(registration_id), "objet": "Bonjour", "message": "Texte", "envoyer": "1"}
    plain_forms = [("POST", f"{base}/ecrire", letter),
                   ("POST", f"{base}/inscriptions", {"ecrire": "1", "choix": str(registration_id)})]  # fmt: skip
    buttons = [("POST", f"{base}/inscriptions", {"promouvoir": str(registration_id)}),
               ("POST", f"{base}/inscriptions", {"annuler": str(registration_id)})]  # fmt: skip
    return [(method, path, {}) for method, path in plain] + plain_forms + buttons


FORGED = {
    "titre": "Piratée", "debut": "01/01/2040 10:00", "motif": "piraté", "nom": "Intrus",
    "prenom": "Ivan", "email": "intrus@exemple.fr", "structure": "X", "profil": "1",
    "departement": "93", "reseaux": "reseau-pre-91",
}  # fmt: skip


def _state(session: Session) -> list[tuple[object, ...]]:
    session.expire_all()
    events = [(e.id, e.title, e.status, e.sequence) for e in session.exec(select(Event))]
    rows = [(r.id, r.status) for r in session.exec(select(Registration))]
    session.commit()  # no lock kept while the server works
    return [*events, *rows]


def test_limited_coordinator_cannot_reach_another_networks_event(
    live: Live, session: Session
) -> None:
    own, theirs, _own_waiting, their_waiting = _two_events(session)
    assert own.id is not None and theirs.id is not None and their_waiting.id is not None
    before = _state(session)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        token = csrf_of(client.get("/gestion/").text)
        for method, path, extra in routes(theirs.id, their_waiting.id):
            data = {**FORGED, **extra, "csrf": token} if method == "POST" else None
            answer = client.request(method, path, data=data)
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "Rencontre PRE secrète" not in answer.text and "Accès refusé" in answer.text
        # their registration through my event's address: not found, and untouched
        for _method, path, extra in routes(own.id, their_waiting.id)[-2:]:
            assert client.post(path, data={**extra, "csrf": token}).status_code == 404, path
        # no such event: the same refusal as another network's
        assert client.get("/gestion/evenements/999999").status_code == 403
        listed = client.get("/gestion/evenements", params={"periode": "tous"}).text
        home = client.get("/gestion/").text
        filtered = client.get("/gestion/evenements", params={"reseau": "2"}).text
        created = client.post(
            "/gestion/evenements/nouveau", data={**FORGED, "csrf": token, "titre": "Nouvelle"}
        )
    assert "Rencontre des médiateurs" in listed and "Rencontre PRE secrète" not in listed
    assert "Rencontre PRE secrète" not in home and "Rencontre PRE secrète" not in filtered
    assert created.status_code == 422 and 'id="reseaux-erreur"' in created.text
    assert _state(session) == before
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "admin.denied")).all()
    assert len(denied) == len(routes(0, 0)) + 1 and all(
        entry.actor == f"email:{LIMITED}" for entry in denied
    )


def test_no_session_and_a_participants_link_reach_no_page(live: Live, session: Session) -> None:
    own, _theirs, own_waiting, _their_waiting = _two_events(session)
    assert own.id is not None and own_waiting.id is not None
    person = make_person(session, email="participante@exemple.fr")
    manage = access.manage_url(person)
    all_routes = [("GET", "/gestion/", {}), ("GET", "/gestion/evenements", {}),
                  ("GET", "/gestion/evenements/nouveau", {}),
                  ("POST", "/gestion/evenements/nouveau", {}), *routes(own.id, own_waiting.id)]  # fmt: skip
    before = _state(session)
    with httpx.Client(base_url=live.base) as client:
        assert client.get(manage.replace(live.base, "")).status_code == 200
        token = csrf_of(client.get("/gestion/connexion").text)
        for method, path, extra in all_routes:
            data = {**FORGED, **extra, "csrf": token} if method == "POST" else None
            answer = client.request(method, path, data=data)
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"] == "/gestion/connexion"
            if method == "POST":
                assert client.post(path, data=FORGED).status_code == 403, path
        forged_cookie = {"relais_gestion": "A" * 22 + "." + "B" * 22}
        with httpx.Client(base_url=live.base, cookies=forged_cookie) as forged:
            assert forged.get("/gestion/").status_code == 303
    assert _state(session) == before


def test_actions_are_audited_with_their_author(live: Live, session: Session) -> None:
    own, _theirs, own_waiting, _their = _two_events(session)
    assert own.id is not None and own_waiting.id is not None
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        token = csrf_of(client.get(f"/gestion/evenements/{own.id}").text)
        base = f"/gestion/evenements/{own.id}"
        button = {"csrf": token, "promouvoir": str(own_waiting.id)}
        promoted = client.post(f"{base}/inscriptions", data=button)
        assert promoted.status_code == 303
        again = client.post(f"{base}/inscriptions", data=button)
        assert again.status_code == 409 and "liste d'attente" in html.unescape(again.text)
        cancelled = client.post(
            f"{base}/annuler", data={"csrf": token, "motif": "Salle indisponible"}
        )
        assert cancelled.status_code == 303
    session.expire_all()
    assert session.get(Registration, own_waiting.id).status == RegistrationStatus.CONFIRMED  # type: ignore[union-attr]
    assert session.get(Event, own.id).status == EventStatus.CANCELLED  # type: ignore[union-attr]
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.actor == f"email:{LIMITED}", AuditEntry.at <= utcnow())
    ).all()
    assert {"registration.promoted", "event.cancelled"} <= {e.action for e in entries}
