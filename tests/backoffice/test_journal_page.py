"""« Journal » on the real server: filters (who, what, event, dates) with French errors
beside the fields, pages of fifty read with bounded queries, and a coordinator limited
to a network reading only what concerns it."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from relais import audit
from relais.audit import AuditEntry
from relais.timefmt import local, utcnow
from tests.backoffice.conftest import coordinator, network, sign_in
from tests.factories import make_event
from tests.web.conftest import Live

WHOLE = "direction@crpv.example"
LIMITED = "coordo.93@crpv.example"
ROWS = re.compile(r'<tr><th scope="row">')


def _entries(session: Session) -> tuple[int, int, str]:
    """Two networks' events, 120 old entries about the second network's event."""
    mine, other = (
        network(session, "Réseau des médiateurs – 93"),
        network(session, "Réseau PRE – 91"),
    )
    coordinator(session, LIMITED, mine)
    coordinator(session, WHOLE)
    own = make_event(session, title="Rencontre des médiateurs", networks=[mine.code])
    theirs = make_event(session, title="Rencontre PRE", networks=[other.code])
    assert own.id is not None and theirs.id is not None
    long_ago = utcnow() - timedelta(days=400)
    for n in range(120):
        audit.record(session, "telegram:42", "event.changed", "event", theirs.id, champ=f"n{n}")
    session.flush()
    for entry in session.exec(select(AuditEntry).where(AuditEntry.actor == "telegram:42")):
        entry.at = long_ago
    audit.record(session, "email:autre@crpv.example", "person.erased", "person", 7)
    session.commit()
    return own.id, theirs.id, theirs.code


def _rows(text: str) -> int:
    return len(ROWS.findall(text))


def test_filters_and_pages(live: Live, session: Session) -> None:
    own_id, theirs_id, theirs_code = _entries(session)
    day = local(utcnow() - timedelta(days=400)).strftime("%d/%m/%Y")
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, WHOLE)
        first = client.get("/gestion/journal")
        older = re.search(r'href="/gestion/journal\?([^"]+)">Entrées plus anciennes', first.text)
        assert older
        second = client.get("/gestion/journal?" + html.unescape(older[1]))
        by_who = client.get("/gestion/journal", params={"qui": "AUTRE@crpv"}).text
        by_what = client.get("/gestion/journal", params={"quoi": "event.created"}).text
        by_event = client.get("/gestion/journal", params={"evenement": theirs_code}).text
        by_dates = client.get("/gestion/journal", params={"du": day, "au": day}).text
        today = local(utcnow()).strftime("%Y-%m-%d")
        recent = client.get("/gestion/journal", params={"du": today, "quoi": "event.changed"}).text
        bad = client.get("/gestion/journal", params={"du": "31/02/2026", "au": "01/01/2020"})
        reversed_dates = client.get(
            "/gestion/journal", params={"du": "02/01/2026", "au": "01/01/2026"}
        )
        unknown = client.get("/gestion/journal", params={"evenement": "nexiste"})
    assert first.status_code == 200 and _rows(first.text) == 50
    assert _rows(second.text) == 50 and "Revenir aux plus récentes" in second.text
    assert set(re.findall(r"champ : (n\d+)", first.text)).isdisjoint(
        re.findall(r"champ : (n\d+)", second.text)
    )
    assert _rows(by_who) == 1 and "<td>Données effacées</td>" in html.unescape(by_who)
    assert _rows(by_what) == 2 and "<td>Événement créé</td>" in html.unescape(by_what)
    assert _rows(by_event) == 50 and f"événement n° {theirs_id}" in html.unescape(by_event)
    assert f"événement n° {own_id}" not in html.unescape(by_event)
    assert (
        "Entrées plus anciennes" in by_event
    )  # 121 entries about it: 120 changes and its creation
    assert _rows(by_dates) == 50 and "<td>Événement créé</td>" not in html.unescape(by_dates)
    assert _rows(recent) == 0 and "Aucune entrée ne correspond à ces filtres." in html.unescape(
        recent
    )
    assert bad.status_code == 422
    assert 'aria-describedby="du-aide du-erreur"' in bad.text
    assert "Date « 31/02/2026 » illisible ; écrivez-la jj/mm/aaaa" in html.unescape(bad.text)
    assert "La date de fin est avant la date de début" in html.unescape(reversed_dates.text)
    assert unknown.status_code == 422 and "Aucun événement « nexiste »" in html.unescape(
        unknown.text
    )


def test_limited_coordinator_reads_only_their_scope(live: Live, session: Session) -> None:
    own_id, theirs_id, theirs_code = _entries(session)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        shown = html.unescape(client.get("/gestion/journal").text)
        forged = client.get("/gestion/journal", params={"evenement": theirs_code})
        by_number = client.get("/gestion/journal", params={"evenement": str(theirs_id)})
    assert f"événement n° {own_id}" in shown and f"événement n° {theirs_id}" not in shown
    assert "<td>Données effacées</td>" not in shown and "Telegram 42" not in shown
    assert "<td>Connexion à la gestion</td>" in shown  # their own sign-in
    assert forged.status_code == 403 and by_number.status_code == 403
