"""« Abonnés » from the back office over real HTTP: search, add with errors beside the
fields, unsubscribe (nothing queued goes to the address any more), a CSV import with its
line-by-line report and its resumption, the export; no session reaches none of it."""

from __future__ import annotations

import csv
import html
import io

import httpx
from sqlmodel import Session, select

from relais.access import services as access
from relais.audit import AuditEntry
from relais.imports.models import ImportRun
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.timefmt import utcnow
from tests.backoffice.conftest import coordinator, sign_in
from tests.factories import make_person
from tests.web.conftest import Live, csrf_of

EDITOR = "communication@crpv.example"
CSV = (
    "E-mail;Prénom;Nom;Structure\n"
    "lea.martin@exemple.fr;Léa;Martin;Ville de Bobigny\n"
    "pas-une-adresse;Paul;Durand;\n"
    ";Sans;Adresse;\n"
    "LEA.MARTIN@exemple.fr;Léa;Martin;\n"
    "karim.haddad@exemple.fr;Karim;Haddad;Centre social\n"
).encode()


def _status(session: Session, email: str) -> SubscriberStatus | None:
    session.expire_all()
    found = session.exec(select(Subscriber).where(Subscriber.email == email)).first()
    session.commit()
    return found.status if found else None


def test_add_search_unsubscribe_export(live: Live, session: Session) -> None:
    coordinator(session, EDITOR)
    session.add(Subscriber(email="ancien@exemple.fr", status=SubscriberStatus.ACTIVE,
                           organisation="Mairie de Pantin", consent_at=utcnow()))  # fmt: skip
    session.commit()
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, EDITOR)
        token = csrf_of(client.get("/gestion/abonnes").text)
        wrong = client.post("/gestion/abonnes", data={
            "csrf": token, "email": "camille@exemple", "source": " ", "prenom": "Camille"})  # fmt: skip
        page = html.unescape(wrong.text)
        assert wrong.status_code == 422
        assert 'id="email-erreur"' in page and 'id="source-erreur"' in page
        assert 'aria-describedby="source-aide source-erreur"' in page
        assert "Indiquez d'où vient le consentement" in page
        assert 'value="Camille"' in page and _status(session, "camille@exemple") is None
        added = client.post("/gestion/abonnes", data={
            "csrf": token, "email": "Camille.Roux@Exemple.fr", "prenom": "Camille", "nom": "Roux",
            "structure": "Centre social", "source": "formulaire papier du 12/03/2026"})  # fmt: skip
        assert added.status_code == 303
        shown = html.unescape(client.get(added.headers["location"]).text)
        assert "camille.roux@exemple.fr est abonné·e." in shown
        found = html.unescape(client.get("/gestion/abonnes", params={"q": "pantin"}).text)
        assert "ancien@exemple.fr" in found and "camille.roux@exemple.fr" not in found
        ancien = session.exec(
            select(Subscriber).where(Subscriber.email == "ancien@exemple.fr")
        ).one()
        session.commit()
        left = client.post(
            "/gestion/abonnes/desabonner", data={"csrf": token, "abonne": str(ancien.id)}
        )
        assert left.status_code == 303
        missing = client.post(
            "/gestion/abonnes/desabonner", data={"csrf": token, "abonne": "999999"}
        )
        assert missing.status_code == 404
        exported = client.get("/gestion/abonnes/export.csv", params={"statut": "active"})
    assert _status(session, "camille.roux@exemple.fr") == SubscriberStatus.ACTIVE
    assert _status(session, "ancien@exemple.fr") == SubscriberStatus.UNSUBSCRIBED
    assert exported.headers["content-disposition"].startswith('attachment; filename="abonnes-')
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["camille.roux@exemple.fr"]
    actions = {e.action for e in session.exec(
        select(AuditEntry).where(AuditEntry.actor == f"email:{EDITOR}"))}  # fmt: skip
    assert {"newsletter.subscriber_added", "newsletter.subscriber_removed"} <= actions


def test_import_reports_each_bad_line_and_resumes(live: Live, session: Session) -> None:
    coordinator(session, EDITOR)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, EDITOR)
        token = csrf_of(client.get("/gestion/abonnes/import").text)
        empty = client.post("/gestion/abonnes/import", data={"csrf": token},
                            files={"fichier": ("vide.csv", b"")})  # fmt: skip
        assert empty.status_code == 422 and 'id="fichier-erreur"' in empty.text
        no_column = client.post("/gestion/abonnes/import", data={"csrf": token},
                                files={"fichier": ("x.csv", b"nom;prenom\nA;B\n")})  # fmt: skip
        assert no_column.status_code == 422 and "aucune colonne d'adresse" in html.unescape(
            no_column.text).lower()  # fmt: skip
        forged = client.post("/gestion/abonnes/import", data={"csrf": "0" * 64},
                             files={"fichier": ("a.csv", CSV)})  # fmt: skip
        assert forged.status_code == 403
        done = client.post("/gestion/abonnes/import", data={"csrf": token},
                           files={"fichier": ("contacts.csv", CSV)})  # fmt: skip
        report = html.unescape(done.text)
        again = html.unescape(client.post("/gestion/abonnes/import", data={"csrf": token},
                              files={"fichier": ("contacts.csv", CSV)}).text)  # fmt: skip
    assert done.status_code == 200, report
    assert "2 importée(s), 0 mise(s) à jour, 1 ignorée(s), 2 refusée(s)" in report
    for line, reason in ((3, "adresse e-mail invalide"), (4, "pas d'adresse e-mail"),
                         (5, "doublon de la ligne 2")):  # fmt: skip
        assert f'<th scope="row" class="num">{line}</th>' in report and reason in report
    assert _status(session, "lea.martin@exemple.fr") == SubscriberStatus.ACTIVE
    assert _status(session, "karim.haddad@exemple.fr") == SubscriberStatus.ACTIVE
    assert "0 importée(s)" in again  # the same file again: nothing imported twice
    runs = session.exec(select(ImportRun)).all()
    assert runs and all(run.finished for run in runs)
    assert session.exec(select(AuditEntry).where(
        AuditEntry.action == "newsletter.imported", AuditEntry.actor == f"email:{EDITOR}")).all()  # fmt: skip


def test_no_session_nor_a_participants_link_reaches_a_newsletter_page(
    live: Live, session: Session
) -> None:
    manage = access.manage_url(make_person(session, email="participante@exemple.fr"))
    session.commit()
    paths = ["/gestion/lettre", "/gestion/lettre/nouvelle", "/gestion/lettre/brouillons/1",
             "/gestion/lettre/brouillons/1/apercu", "/gestion/lettre/1", "/gestion/abonnes",
             "/gestion/abonnes/export.csv", "/gestion/abonnes/import"]  # fmt: skip
    with httpx.Client(base_url=live.base) as client:
        assert client.get(manage.replace(live.base, "")).status_code == 200
        token = csrf_of(client.get("/gestion/connexion").text)
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == "/gestion/connexion"
        upload = client.post("/gestion/abonnes/import", data={"csrf": token},
                             files={"fichier": ("a.csv", CSV)})  # fmt: skip
        assert upload.status_code == 303
        added = client.post("/gestion/abonnes", data={"csrf": token, "email": "x@exemple.fr",
                                                      "source": "x"})  # fmt: skip
        assert added.status_code == 303
    assert session.exec(select(Subscriber)).all() == []
