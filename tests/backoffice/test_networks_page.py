"""« Réseaux » on the real server: members searched, added and removed with the core
services, a network invited once per channel, and a coordinator limited to one network
refused everywhere on another (forged requests: 403, nothing changed)."""

from __future__ import annotations

import html
import re

import httpx
from sqlmodel import Session, select

from relais.audit import AuditEntry
from relais.invitations.models import Invitation
from relais.networks import services as networks
from relais.networks.models import Network, NetworkMember
from relais.people.models import Person
from tests.backoffice.conftest import coordinator, mails_to, network, sign_in
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of

LIMITED = "coordo.93@crpv.example"


def _setup(session: Session) -> tuple[Network, Network, list[Person]]:
    mine = network(session, "Réseau des médiateurs – 93")
    other = network(session, "Réseau PRE – 91")
    coordinator(session, LIMITED, mine)
    people = [
        make_person(session, first_name="Amina", last_name="Benali", email="amina@exemple.fr"),
        make_person(session, first_name="Paul", last_name="Martin", email="paul@exemple.fr"),
        make_person(session, first_name="Zoé", last_name="Secret", email="zoe@exemple.fr"),
    ]
    assert mine.id is not None and other.id is not None and people[2].id is not None
    networks.add_member(session, other.id, people[2].id, "test")
    session.commit()
    return mine, other, people


def _state(session: Session) -> list[tuple[object, ...]]:
    session.expire_all()
    found: list[tuple[object, ...]] = [
        *((m.network_id, m.person_id) for m in session.exec(select(NetworkMember))),
        *((i.event_id, i.person_id, i.channel) for i in session.exec(select(Invitation))),
        *(
            (a.action, a.target_id)
            for a in session.exec(select(AuditEntry))
            if a.action != "admin.denied" and not a.action.startswith("signin.")
        ),
    ]
    session.commit()
    return found


def test_members_search_add_and_remove(live: Live, session: Session) -> None:
    mine, _other, people = _setup(session)
    amina, paul, _zoe = people
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        listed = client.get("/gestion/reseaux").text
        base = f"/gestion/reseaux/{mine.id}"
        token = csrf_of(client.get(base).text)
        empty = client.post(f"{base}/membres", data={"csrf": token, "adresses": "  "})
        added = client.post(
            f"{base}/membres",
            data={
                "csrf": token,
                "adresses": "amina@exemple.fr, PAUL@exemple.fr\ninconnu@exemple.fr\npas-une-adresse",
            },
        )
        again = client.post(f"{base}/membres", data={"csrf": token, "adresses": "amina@exemple.fr"})
        found = client.get(base, params={"q": "bena"}).text
        removed = client.post(f"{base}/retirer", data={"csrf": token, "personne": str(paul.id)})
        twice = client.post(f"{base}/retirer", data={"csrf": token, "personne": str(paul.id)})
        after = client.get(removed.headers["location"]).text
    assert "Réseau des médiateurs – 93" in listed and "Réseau PRE – 91" not in listed
    assert (
        empty.status_code == 422
        and 'aria-describedby="adresses-aide adresses-erreur"' in empty.text
    )
    assert "Tapez au moins une adresse e-mail" in html.unescape(empty.text)
    text = html.unescape(added.text)
    assert added.status_code == 200 and "2 personnes ajoutées au réseau." in text
    assert (
        "Adresses inconnues de Relais (la personne doit d'abord s'inscrire à un événement ou au bot) : inconnu@exemple.fr"
        in text
    )
    assert "Adresses mal écrites, non prises : pas-une-adresse" in text
    assert "Déjà membres : Amina Benali" in html.unescape(again.text)
    assert "Benali Amina" in found and "Martin Paul" not in found
    assert removed.status_code == 303 and twice.status_code == 404
    assert "Benali Amina" in after and "Martin Paul" not in after
    assert "La personne est retirée du réseau." in html.unescape(after)
    session.expire_all()
    actions = [
        (e.action, e.actor)
        for e in session.exec(
            select(AuditEntry).where(
                AuditEntry.target_type == "network", AuditEntry.target_id == mine.id
            )
        )
    ]
    assert actions.count(("network.member_added", f"email:{LIMITED}")) == 2
    assert actions.count(("network.member_removed", f"email:{LIMITED}")) == 1
    assert amina.id in {m.id for m in networks.members(session, mine.id or 0)}


def test_network_invited_once_per_channel(live: Live, session: Session) -> None:
    mine, _other, people = _setup(session)
    assert mine.id is not None
    for person in people[:2]:
        networks.add_member(session, mine.id, person.id or 0, "test")
    event = make_event(session, title="Rencontre des médiateurs", networks=[mine.code])
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        base = f"/gestion/reseaux/{mine.id}"
        event_page = client.get(f"/gestion/evenements/{event.id}").text
        links = re.findall(r'href="(/gestion/reseaux/[^"]+)">Inviter « ([^<]+) »<', event_page)
        assert links == [(f"{base}/inviter?evenement={event.id}", mine.name)]  # not the other
        preview = client.get(links[0][0])
        token = csrf_of(preview.text)
        first = client.post(f"{base}/inviter", data={"csrf": token, "evenement": str(event.id)})
        live.deliver()
        second = client.post(f"{base}/inviter", data={"csrf": token, "evenement": str(event.id)})
        second_preview = client.get(f"{base}/inviter", params={"evenement": str(event.id)})
    assert "2 invitations par e-mail et 0 par Telegram vont partir." in html.unescape(preview.text)
    assert "2 personnes invitées à « Rencontre des médiateurs » : 2 par e-mail" in html.unescape(
        first.text
    )
    assert "0 personne invitée" in html.unescape(second.text)
    assert "2 déjà invités" in html.unescape(second.text)
    assert "0 invitation par e-mail" in html.unescape(second_preview.text)
    for address in ("amina@exemple.fr", "paul@exemple.fr"):
        invitations = [m for m in mails_to(live, address) if "Invitation" in str(m["Subject"])]
        assert len(invitations) == 1, address
    assert not mails_to(live, "zoe@exemple.fr")
    session.expire_all()
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "network.invited")).all()
    assert len(audited) == 2 and all(e.actor == f"email:{LIMITED}" for e in audited)


def test_limited_coordinator_cannot_touch_another_network(live: Live, session: Session) -> None:
    mine, other, people = _setup(session)
    theirs = make_event(session, title="Rencontre PRE secrète", networks=[other.code])
    own = make_event(session, title="Rencontre des médiateurs", networks=[mine.code])
    zoe = people[2]
    base = f"/gestion/reseaux/{other.id}"
    forged = [
        ("GET", base, {}), ("GET", f"{base}?q=zo", {}),
        ("POST", f"{base}/membres", {"adresses": "amina@exemple.fr"}),
        ("POST", f"{base}/retirer", {"personne": str(zoe.id)}),
        ("GET", f"{base}/inviter?evenement={own.id}", {}),
        ("POST", f"{base}/inviter", {"evenement": str(own.id)}),
        ("GET", f"/gestion/reseaux/{mine.id}/inviter?evenement={theirs.id}", {}),
        ("POST", f"/gestion/reseaux/{mine.id}/inviter", {"evenement": str(theirs.id)}),
        ("GET", "/gestion/reseaux/999999", {}),
        ("GET", f"/gestion/journal?evenement={theirs.code}", {}),
    ]  # fmt: skip
    before = _state(session)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        token = csrf_of(client.get("/gestion/").text)
        for method, path, data in forged:
            answer = client.request(
                method, path, data={**data, "csrf": token} if method == "POST" else None
            )
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "Accès refusé" in answer.text and "Zoé" not in answer.text
            assert "Rencontre PRE secrète" not in answer.text
        no_csrf = client.post(
            f"/gestion/reseaux/{mine.id}/membres", data={"adresses": "paul@exemple.fr"}
        )
        assert no_csrf.status_code == 403
    assert _state(session) == before
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "admin.denied")).all()
    assert len(denied) == len(forged)


def test_no_session_reaches_no_new_page(live: Live, session: Session) -> None:
    mine, _other, people = _setup(session)
    event = make_event(session, title="Rencontre des médiateurs", networks=[mine.code])
    base = f"/gestion/reseaux/{mine.id}"
    pages = [
        ("GET", "/gestion/chiffres"), ("GET", "/gestion/chiffres/rapport-2025.html"),
        ("GET", "/gestion/chiffres/rapport-2025.xlsx"), ("GET", "/gestion/journal"),
        ("GET", "/gestion/reseaux"), ("GET", base), ("POST", f"{base}/membres"),
        ("POST", f"{base}/retirer"), ("GET", f"{base}/inviter?evenement={event.id}"),
        ("POST", f"{base}/inviter"),
    ]  # fmt: skip
    data = {
        "adresses": "amina@exemple.fr",
        "personne": str(people[2].id),
        "evenement": str(event.id),
    }
    before = _state(session)
    with httpx.Client(base_url=live.base) as client:
        token = csrf_of(client.get("/gestion/connexion").text)
        for method, path in pages:
            answer = client.request(
                method, path, data={**data, "csrf": token} if method == "POST" else None
            )
            assert (
                answer.status_code == 303 and answer.headers["location"] == "/gestion/connexion"
            ), path
            if method == "POST":
                assert client.post(path, data=data).status_code == 403, path
    assert _state(session) == before
