"""Cycles in the back office over real HTTP: bad dates refused beside their field with the
CLI's French sentences and nothing written, a cycle created with its sessions, edited and
given one more session that keeps the last one's audience, reminders and deadline, the
events list showing cycles; the registrations table filtered by network; a limited
coordinator forging requests on the new routes gets 403, nothing changed."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from relais.attendance.models import Attendance
from relais.audit import AuditEntry
from relais.events import services as events
from relais.events.models import Event, EventAudience, EventStatus, Series
from relais.events.schemas import EventInput
from relais.networks import services as networks
from relais.people.models import Person
from relais.reference import services as reference
from relais.registrations import services as registrations
from relais.registrations.models import Registration
from relais.timefmt import local, utcnow
from tests.backoffice.conftest import coordinator, mails_to, network, sign_in
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of, text_of

ADMIN = "charge.mission@crpv.example"
LIMITED = "coordo.93@crpv.example"


def _future(days: int, hour: str = "09:30") -> str:
    return (local(utcnow()) + timedelta(days=days)).strftime(f"%d/%m/%Y {hour}")


def _rows(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


def test_cycle_with_bad_dates_is_refused_beside_fields_then_created_and_edited(
    live: Live, session: Session
) -> None:
    mine = network(session, "Réseau des médiateurs – 93")
    coordinator(session, ADMIN)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        form = client.get("/gestion/cycles/nouveau")
        assert form.status_code == 200 and 'id="seances"' in form.text
        token = csrf_of(form.text)
        dates = f"31/02/2027 09:30\n01/01/2020 09:30\n{_future(20)}\n{_future(20)}"
        wrong = client.post("/gestion/cycles/nouveau", data={
            "csrf": token, "titre": "AB", "seances": dates, "duree": "5", "places": "beaucoup",
            "date_limite": "hier", "reseaux": mine.code,
        })  # fmt: skip
        page = html.unescape(wrong.text)
        assert wrong.status_code == 422
        for name in ("titre", "seances", "duree", "places", "date_limite"):
            assert f'id="{name}-erreur"' in page, name
        assert (
            "Ligne 1 : date « 31/02/2027 09:30 » illisible ; écrivez-la JJ/MM/AAAA HH:MM, "
            "par exemple 08/04/2025 09:30 ; ligne 2 : la date « 01/01/2020 09:30 » est déjà passée"
            f" ; ligne 4 : la séance du {_future(20)} est déjà dans la liste." in page
        )
        assert 'aria-describedby="seances-aide seances-erreur"' in page
        empty = client.post("/gestion/cycles/nouveau", data={
            "csrf": token, "titre": "Cycle santé", "seances": " \n", "duree": "120"})  # fmt: skip
        assert empty.status_code == 422 and "Indiquez au moins une séance" in html.unescape(
            empty.text
        )
        assert session.exec(select(Event)).all() == [] and session.exec(select(Series)).all() == []
        session.commit()
        created = client.post("/gestion/cycles/nouveau", data={
            "csrf": token, "titre": "Cycle santé mentale", "seances": f"{_future(30)}\n{_future(23)}",
            "duree": "90", "modalite": "presentiel", "lieu": "Maison des associations",
            "places": "12", "reseaux": mine.code, "description": "Trois matinées.",
        })  # fmt: skip
        assert created.status_code == 303
        cycle_page = text_of(client.get(created.headers["location"]).text)
        assert "Le cycle et ses séances sont créés." in cycle_page
        assert "Cycle santé mentale – séance 1" in cycle_page
        series = session.exec(select(Series)).one()
        session.commit()
        listed = text_of(client.get("/gestion/evenements").text)
        assert "Cycle santé mentale\n: 2 séances dans cette liste" in listed
        assert "Cycle : Cycle santé mentale" in listed
        edit = f"/gestion/cycles/{series.id}/modifier"
        assert 'value="Cycle santé mentale"' in client.get(edit).text
        last = events.series_sessions(session, series.id or 0)[-1]
        last.reminder_offsets, last.members_only, last.waitlist_enabled = "3j", True, False
        last.registration_deadline = last.starts_at - timedelta(days=2)
        profile = reference.profile_named(session, "Médiateur adulte-relais")
        session.add(EventAudience(event_id=last.id or 0, profile_id=profile.id or 0))
        session.add(last)
        session.commit()
        bad_more = client.post(edit, data={"csrf": token, "titre": "Cycle santé mentale",
                                           "seances": "demain matin"})  # fmt: skip
        assert bad_more.status_code == 422 and 'id="seances-erreur"' in bad_more.text
        saved = client.post(edit, data={"csrf": token, "titre": "Cycle « santé mentale »",
                                        "description": "Quatre matinées.",
                                        "seances": _future(37)})  # fmt: skip
        assert saved.status_code == 303
    session.expire_all()
    sessions = events.series_sessions(session, series.id or 0)
    assert [e.title for e in sessions] == [
        "Cycle santé mentale – séance 1", "Cycle santé mentale – séance 2",
        "Cycle « santé mentale » – séance 3",
    ]  # fmt: skip
    assert [int((e.ends_at - e.starts_at).total_seconds() // 60) for e in sessions] == [90] * 3
    assert {e.venue for e in sessions} == {"Maison des associations"}
    assert all(events.network_ids(session, e.id or 0) == [mine.id] for e in sessions)
    assert all(e.status == EventStatus.PUBLISHED and e.capacity == 12 for e in sessions)
    added = sessions[-1]
    assert (added.reminder_offsets, added.members_only, added.waitlist_enabled) == (
        "3j",
        True,
        False,
    )
    assert added.registration_deadline == last.registration_deadline
    assert events.audience_profile_ids(session, added.id or 0) == [profile.id]
    refreshed = session.get(Series, series.id)
    assert refreshed is not None and refreshed.title == "Cycle « santé mentale »"
    assert refreshed.description == "Quatre matinées."
    actions = [
        e.action
        for e in session.exec(select(AuditEntry).where(AuditEntry.actor == f"email:{ADMIN}"))
    ]
    assert {"series.created", "series.changed", "series.sessions_added"} <= set(actions)


def test_place_and_seats_changed_for_every_session_to_come_and_nothing_else(
    live: Live, session: Session
) -> None:
    coordinator(session, ADMIN)
    start = utcnow() + timedelta(days=10)
    inputs = [
        EventInput(title=f"Cycle numérique – séance {n}", starts_at=start + timedelta(days=7 * n),
                   venue="Salle A", capacity=10)
        for n in range(3)
    ]  # fmt: skip
    series, sessions = events.create_series(session, "Cycle numérique", inputs, "test")
    first, second, _third = sessions
    second.capacity = 4  # changed on its own: the cycle's form must not undo it
    session.add(second)
    person = make_person(session, email="amina@exemple.fr")
    registrations.register(session, first.id or 0, person.id or 0, source="web")
    sequences = [e.sequence for e in sessions]
    session.commit()
    edit = f"/gestion/cycles/{series.id}/modifier"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        form = client.get(edit).text
        assert 'value="Salle A"' in form and 'id="places"' in form and 'value="10"' in form
        token = csrf_of(form)
        common = {"csrf": token, "titre": "Cycle numérique", "lien": "", "places": "10"}
        wrong = client.post(edit, data={**common, "lieu": "Salle B", "places": "dix"})
        assert wrong.status_code == 422 and 'id="places-erreur"' in wrong.text
        assert 'value="dix"' in wrong.text and 'value="Salle B"' in wrong.text
        saved = client.post(edit, data={**common, "lieu": "Maison des associations, salle B"})
        assert saved.status_code == 303
        live.deliver()
    session.expire_all()
    after = events.series_sessions(session, series.id or 0)
    assert {e.venue for e in after} == {"Maison des associations, salle B"}
    assert [e.capacity for e in after] == [10, 4, 10]
    assert [e.sequence for e in after] == [n + 1 for n in sequences]
    session.commit()  # the dispatcher below writes: SQLite's write turn must be free
    updates = [m for m in mails_to(live, "amina@exemple.fr") if "salle B" in m.as_string()]
    assert updates, "the person registered gets the updated invitation"


def test_registrations_table_filters_by_network(live: Live, session: Session) -> None:
    coordinator(session, ADMIN)
    pre, mediators = network(session, "Réseau PRE – 91"), network(session, "Réseau médiateurs")
    event = make_event(session, title="Webinaire santé")
    amina = make_person(session, last_name="Benali", first_name="Amina")
    lea = make_person(session, last_name="Martin", first_name="Léa")
    assert event.id is not None and amina.id is not None and lea.id is not None
    networks.add_member(session, pre.id or 0, amina.id, "test")
    networks.add_member(session, mediators.id or 0, lea.id, "test")
    for person_id in (amina.id, lea.id):
        registrations.register(session, event.id, person_id, source="web")
    session.commit()
    base = f"/gestion/evenements/{event.id}"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, ADMIN)
        everyone = client.get(base).text
        assert '<select id="reseau" name="reseau">' in everyone
        assert _rows(everyone) == ["Benali Amina", "Martin Léa"]
        only_pre = client.get(base, params={"reseau": str(pre.id)}).text
        assert _rows(only_pre) == ["Benali Amina"]
        assert f'<option value="{pre.id}" selected>' in only_pre
        sheet = client.get(f"{base}/export.csv", params={"reseau": str(mediators.id)})
        content = sheet.content.decode("utf-8-sig")
        assert "Martin" in content and "Benali" not in content


def _state(session: Session) -> list[tuple[object, ...]]:
    session.expire_all()
    found: list[tuple[object, ...]] = [
        (e.id, e.title, e.status, e.sequence, e.series_id) for e in session.exec(select(Event))
    ]
    found += [(s.id, s.title, s.description) for s in session.exec(select(Series))]
    found += [(r.id, r.status) for r in session.exec(select(Registration))]
    found += [(a.id, a.status) for a in session.exec(select(Attendance))]
    found += [(p.id, p.last_name) for p in session.exec(select(Person))]
    session.commit()
    return found


def test_limited_coordinator_forging_requests_on_the_new_routes_gets_403(
    live: Live, session: Session
) -> None:
    mine, other = network(session, "Réseau des médiateurs – 93"), network(session, "Réseau PRE")
    coordinator(session, LIMITED, mine)
    theirs = make_event(session, title="Rencontre PRE secrète", networks=[other.code])
    start = utcnow() + timedelta(days=9)
    series, _sessions = events.create_series(
        session, "Cycle PRE secret",
        [EventInput(title="Cycle PRE secret – séance 1", starts_at=start, networks=[other.code])],
        "test",
    )  # fmt: skip
    person = make_person(session, last_name="Benali")
    assert theirs.id is not None and person.id is not None
    registrations.register(session, theirs.id, person.id, source="web")
    session.commit()
    other_code, other_id, their_id = other.code, other.id, theirs.id
    base = f"/gestion/evenements/{their_id}"
    cycle = f"/gestion/cycles/{series.id}"
    walk_in = {"nom": "Intrus", "prenom": "Ivan", "structure": "X", "profil": "1"}
    tries: list[tuple[str, str, dict[str, str]]] = [
        ("GET", f"{base}/affiche", {}), ("GET", f"{base}/rapport", {}),
        ("POST", f"{base}/jour-j/sur-place", walk_in), ("GET", cycle, {}),
        ("GET", f"{cycle}/modifier", {}),
        ("POST", f"{cycle}/modifier", {"titre": "Piraté", "seances": _future(40)}),
        ("GET", "/gestion/cycles/999999", {}),
    ]  # fmt: skip
    before = _state(session)
    report = "Nom,E-mail de l'utilisateur,Durée (minutes)\nBenali,,90\n"
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        token = csrf_of(client.get("/gestion/").text)
        for method, path, extra in tries:
            answer = client.request(
                method, path, data={**extra, "csrf": token} if method == "POST" else None
            )
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "secret" not in answer.text and "Accès refusé" in answer.text
        uploaded = client.post(f"{base}/rapport", data={"csrf": token},
                               files={"rapport": ("zoom.csv", report.encode(), "text/csv")})  # fmt: skip
        assert uploaded.status_code == 403 and "Accès refusé" in uploaded.text
        forged_cycle = client.post("/gestion/cycles/nouveau", data={
            "csrf": token, "titre": "Cycle pirate", "seances": _future(40), "duree": "60",
            "reseaux": other_code,
        })  # fmt: skip
        assert forged_cycle.status_code == 422 and 'id="reseaux-erreur"' in forged_cycle.text
        filtered = client.get(base, params={"reseau": str(other_id)})
        assert filtered.status_code == 403
        listed = client.get("/gestion/evenements").text
        assert "secret" not in listed
    with httpx.Client(base_url=live.base) as stranger:
        token = csrf_of(stranger.get("/gestion/connexion").text)
        for method, path, extra in [*tries, ("GET", "/gestion/cycles/nouveau", {})]:
            data = {**extra, "csrf": token} if method == "POST" else None
            answer = stranger.request(method, path, data=data)
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"] == "/gestion/connexion"
        upload = stranger.post(f"{base}/rapport", data={"csrf": token},
                               files={"rapport": ("zoom.csv", report.encode(), "text/csv")})  # fmt: skip
        assert upload.status_code == 303
    assert _state(session) == before
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "admin.denied")).all()
    assert len(denied) == len(tries) + 2
