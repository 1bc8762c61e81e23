"""« Ressources Info » from the back office over real HTTP on the real server: errors beside
the fields, a draft previewed with its agenda, a test that reaches the SMTP server on
loopback, an issue sent to every subscriber once (queued by the mailer's job, sent by its
dispatcher), pause and resume, scheduling; refused to a coordinator limited to a network."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
from sqlmodel import Session, col, select

from mailer import newsletter_jobs
from mailer.models import OutboxMessage
from relais.audit import AuditEntry
from relais.newsletter.models import Draft, Issue, IssueStatus, Subscriber, SubscriberStatus
from relais.timefmt import local, utcnow
from tests.backoffice.conftest import coordinator, mails_to, network, sign_in
from tests.factories import make_event
from tests.web.conftest import Live, csrf_of

EDITOR = "communication@crpv.example"
BODY = "## À la une\n\nLes **Cités éducatives** se réunissent.\n\n## Agenda\n"


def subscribers(session: Session, count: int) -> list[str]:
    rows = [
        Subscriber(
            email=f"abonne{number}@exemple.fr", status=SubscriberStatus.ACTIVE,
            consent_channel="import", consent_source="import du 01/10/2026", consent_at=utcnow(),
        )
        for number in range(1, count + 1)
    ]  # fmt: skip
    session.add_all(rows)
    session.commit()
    return [row.email for row in rows]


def issue_form(token: str, **changes: str) -> dict[str, str]:
    return {"csrf": token, "numero": "43", "titre": "Les Cités éducatives", "date": "01/12/2026",
            "objet": "", "chapeau": "Bonjour à toutes et à tous.", "corps": BODY, **changes}  # fmt: skip


def _later(days: int) -> str:
    return (local(utcnow()) + timedelta(days=days)).strftime("%d/%m/%Y 09:00")


def write_draft(client: httpx.Client, session: Session) -> tuple[str, str]:
    """A valid issue typed and previewed; the draft's address and the form's token."""
    token = csrf_of(client.get("/gestion/lettre/nouvelle").text)
    saved = client.post("/gestion/lettre/nouvelle", data=issue_form(token))
    assert saved.status_code == 303, saved.text
    draft = session.exec(select(Draft)).one()
    session.commit()
    return f"/gestion/lettre/brouillons/{draft.id}", token


def test_bad_inputs_get_french_errors_beside_their_fields(live: Live, session: Session) -> None:
    coordinator(session, EDITOR)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, EDITOR)
        form = client.get("/gestion/lettre/nouvelle")
        assert form.status_code == 200 and 'value="1"' in form.text  # the next number
        token = csrf_of(form.text)
        wrong = client.post("/gestion/lettre/nouvelle", data=issue_form(
            token, numero="quarante", titre="  ", date="31/02/2026",
            corps="## À la une\n\n![](https://exemple.fr/a.png)\n"))  # fmt: skip
        page = html.unescape(wrong.text)
        assert wrong.status_code == 422
        for name in ("numero", "titre", "date", "corps"):
            assert f'id="{name}-erreur"' in page, name
            assert f'aria-describedby="{name}-aide {name}-erreur"' in page, name
        assert "Le titre est vide" in page and "Ligne 3 : l'image" in page
        assert "champs à corriger" in page and "![](https://exemple.fr/a.png)" in page
        empty = client.post("/gestion/lettre/nouvelle", data=issue_form(token, corps=" "))
        assert empty.status_code == 422 and 'id="corps-erreur"' in empty.text
        assert session.exec(select(Draft)).all() == []
        session.commit()
        draft, token = write_draft(client, session)
        bad_test = client.post(f"{draft}/essai", data={"csrf": token, "essai": "moi@exemple"})
        assert bad_test.status_code == 422 and 'id="essai-erreur"' in bad_test.text
        assert "moi@exemple" in html.unescape(bad_test.text)
        past = client.post(f"{draft}/envoyer", data={
            "csrf": token, "quand": "plus-tard", "moment": "01/01/2020 09:00"})  # fmt: skip
        assert past.status_code == 422 and 'id="moment-erreur"' in past.text
        unreadable = client.post(f"{draft}/envoyer", data={
            "csrf": token, "quand": "plus-tard", "moment": "demain matin"})  # fmt: skip
        assert unreadable.status_code == 422 and "JJ/MM/AAAA HH:MM" in unreadable.text
    assert session.exec(select(Issue)).all() == []
    queued = select(OutboxMessage).where(col(OutboxMessage.kind).startswith("newsletter"))
    assert session.exec(queued).all() == []


def test_write_preview_test_send_to_everyone_once(live: Live, session: Session) -> None:
    coordinator(session, EDITOR)
    addresses = subscribers(session, 3)
    make_event(session, title="Webinaire santé et quartiers")
    session.commit()
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, EDITOR)
        draft, token = write_draft(client, session)
        shown = client.get(draft)
        text = html.unescape(shown.text)
        assert "Brouillon" in text and "Webinaire santé et quartiers" in text  # the agenda
        assert "frame-src 'self'" in shown.headers["content-security-policy"]
        assert "3</strong> abonnés actifs" in text
        framed = client.get(f"{draft}/apercu")
        assert framed.status_code == 200 and "Cités éducatives" in framed.text
        assert "frame-ancestors 'self'" in framed.headers["content-security-policy"]
        assert "script-src" not in framed.headers["content-security-policy"]
        tried = client.post(f"{draft}/essai", data={"csrf": token, "essai": "moi@crpv.example"})
        assert tried.status_code == 303
        test_mails = mails_to(live, "moi@crpv.example")
        assert len(test_mails) == 1 and str(test_mails[0]["Subject"]).startswith("[TEST]")
        assert not any(mails_to(live, address) for address in addresses)
        sent = client.post(f"{draft}/envoyer", data={"csrf": token, "quand": "maintenant"})
        assert (
            sent.status_code == 303 and sent.headers["location"] == "/gestion/lettre/43?fait=envoi"
        )
        newsletter_jobs.advance()
        live.deliver()
        newsletter_jobs.advance()
        live.deliver()
        followed = html.unescape(client.get("/gestion/lettre/43").text)
        archive = html.unescape(client.get("/gestion/lettre").text)
    for address in addresses:
        received = mails_to(live, address)
        assert len(received) == 1, address
        assert str(received[0]["Subject"]) == "Ressources Info n° 43 – Les Cités éducatives"
    assert "<strong>3</strong> envoyés" in followed and "Envoyée" in followed
    assert "n° 43 – Les Cités éducatives" in archive and "Aucun brouillon." in archive
    session.expire_all()
    issue = session.exec(select(Issue)).one()
    assert issue.status == IssueStatus.SENT and issue.recipients == 3
    assert session.exec(select(Draft)).all() == []
    actions = {e.action for e in session.exec(
        select(AuditEntry).where(AuditEntry.actor == f"email:{EDITOR}"))}  # fmt: skip
    assert {"newsletter.draft_saved", "newsletter.test_sent", "newsletter.issue_sent"} <= actions


def test_schedule_pause_and_resume(live: Live, session: Session) -> None:
    coordinator(session, EDITOR)
    addresses = subscribers(session, 2)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, EDITOR)
        draft, token = write_draft(client, session)
        planned = client.post(f"{draft}/envoyer", data={
            "csrf": token, "quand": "plus-tard", "moment": _later(2)})  # fmt: skip
        assert planned.status_code == 303
        newsletter_jobs.advance()
        live.deliver()
        assert not any(mails_to(live, address) for address in addresses)
        page = html.unescape(client.get("/gestion/lettre/43").text)
        assert "Programmée" in page and "La lettre est programmée" not in page
        same_number = client.post("/gestion/lettre/nouvelle", data=issue_form(token))
        assert same_number.status_code == 422 and 'id="numero-erreur"' in same_number.text
        assert "déjà partie" in html.unescape(same_number.text)
        paused = client.post("/gestion/lettre/43/pause", data={"csrf": token})
        assert paused.status_code == 303
        again = client.post("/gestion/lettre/43/pause", data={"csrf": token})
        assert again.status_code == 409 and "rien à mettre en pause" in html.unescape(again.text)
        assert "Reprendre l'envoi" in html.unescape(client.get("/gestion/lettre/43").text)
        session.expire_all()
        assert session.exec(select(Issue)).one().status == IssueStatus.PAUSED
        held = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "newsletter")).all()
        assert len(held) == 2 and all(row.next_attempt_at.year == 9999 for row in held)
        session.commit()
        resumed = client.post("/gestion/lettre/43/reprise", data={"csrf": token})
        assert resumed.status_code == 303
    session.expire_all()
    assert session.exec(select(Issue)).one().status == IssueStatus.SENDING
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "newsletter")).all()
    assert all(row.next_attempt_at.year < 9999 for row in rows)


def test_a_coordinator_limited_to_a_network_cannot_touch_the_newsletter(
    live: Live, session: Session
) -> None:
    limited = "coordo.93@crpv.example"
    coordinator(session, EDITOR)
    coordinator(session, limited, network(session, "Réseau des médiateurs – 93"))
    subscribers(session, 1)
    with httpx.Client(base_url=live.base) as editor:
        sign_in(editor, live, EDITOR)
        draft, token = write_draft(editor, session)
    routes = [("GET", "/gestion/lettre"), ("GET", "/gestion/lettre/nouvelle"),
              ("POST", "/gestion/lettre/nouvelle"), ("GET", draft), ("POST", draft),
              ("GET", f"{draft}/apercu"), ("POST", f"{draft}/essai"), ("POST", f"{draft}/envoyer"),
              ("GET", "/gestion/lettre/43"), ("POST", "/gestion/lettre/43/pause"),
              ("POST", "/gestion/lettre/43/reprise"), ("GET", "/gestion/abonnes"),
              ("POST", "/gestion/abonnes"), ("POST", "/gestion/abonnes/desabonner"),
              ("GET", "/gestion/abonnes/export.csv"), ("GET", "/gestion/abonnes/import")]  # fmt: skip
    forged = {"quand": "maintenant", "essai": "intrus@exemple.fr", "email": "intrus@exemple.fr",
              "source": "piraté", "abonne": "1", **issue_form("")}  # fmt: skip
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, limited)
        token = csrf_of(client.get("/gestion/").text)
        for method, path in routes:
            data = {**forged, "csrf": token} if method == "POST" else None
            answer = client.request(method, path, data=data)
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "abonne1@exemple.fr" not in answer.text
        upload = client.post("/gestion/abonnes/import", data={"csrf": token},
                             files={"fichier": ("a.csv", b"email\nintrus@exemple.fr\n")})  # fmt: skip
        assert upload.status_code == 403
        home = client.get("/gestion/").text
    assert "/gestion/lettre" not in home and "/gestion/abonnes" not in home
    session.expire_all()
    assert session.exec(select(Issue)).all() == []
    assert [s.email for s in session.exec(select(Subscriber))] == ["abonne1@exemple.fr"]
    assert len(session.exec(select(Draft)).all()) == 1
