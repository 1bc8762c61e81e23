"""Importing subscribers from Brevo, Mailchimp and spreadsheet exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from relais.cli.main import app
from relais.errors import InvalidInput
from relais.newsletter import importer, services
from relais.newsletter.importer import Outcome
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.timefmt import local, utcnow
from tests.factories import make_person
from tests.newsletter.conftest import DATA


def _by_line(report: importer.Report) -> dict[int, importer.Line]:
    return {line.number: line for line in report.lines}


def test_brevo_latin1_semicolon_export(session: Session) -> None:
    report = importer.import_csv(session, (DATA / "brevo_contacts.csv").read_bytes())
    session.commit()
    lines = _by_line(report)
    assert [report.count(o) for o in Outcome] == [3, 0, 2, 2]
    assert lines[4].outcome == Outcome.SKIPPED and "doublon de la ligne 2" in lines[4].reason
    assert lines[5].outcome == Outcome.REJECTED and "invalide" in lines[5].reason
    assert lines[6].outcome == Outcome.SKIPPED and "désabonnée" in lines[6].reason
    assert lines[7].outcome == Outcome.REJECTED and "pas d'adresse" in lines[7].reason

    helene = services.by_email(session, "helene.marchal@ville-bondy.fr")
    assert helene is not None
    assert (helene.first_name, helene.organisation) == ("Hélène", "Ville de Bondy")
    assert helene.status == SubscriberStatus.ACTIVE
    assert helene.consent_channel == "import"
    assert helene.consent_source == f"import du {local(utcnow()):%d/%m/%Y}"
    assert helene.consent_at is not None
    left = services.by_email(session, "jeanne.dupre@bailleur-idf.fr")
    assert left is not None and left.status == SubscriberStatus.UNSUBSCRIBED


def test_mailchimp_export_then_reimport_updates_and_never_reactivates(session: Session) -> None:
    importer.import_csv(session, (DATA / "brevo_contacts.csv").read_bytes())
    session.commit()
    karim = services.by_email(session, "karim.benali@pre-aubervilliers.fr")
    assert karim is not None
    services.unsubscribe(session, karim, channel="web")
    session.commit()

    report = importer.import_csv(session, (DATA / "mailchimp_subscribed_members.csv").read_bytes())
    session.commit()
    lines = _by_line(report)
    assert [report.count(o) for o in Outcome] == [2, 1, 0, 1]
    assert lines[5].outcome == Outcome.UPDATED and lines[5].reason == "nom mis à jour"
    sophie = services.by_email(session, "sophie.lambert@ccas-montreuil.fr")
    assert sophie is not None and sophie.organisation == "CCAS de Montreuil"

    again = importer.import_csv(session, (DATA / "brevo_contacts.csv").read_bytes())
    lines = _by_line(again)
    assert lines[8].outcome == Outcome.SKIPPED and "désabonnée" in lines[8].reason
    assert lines[3].outcome == Outcome.SKIPPED and lines[3].reason == "déjà abonnée, rien à changer"
    assert lines[2].outcome == Outcome.UPDATED and lines[2].reason == "nom mis à jour"
    session.commit()
    karim = services.by_email(session, "karim.benali@pre-aubervilliers.fr")
    assert karim is not None and karim.status == SubscriberStatus.UNSUBSCRIBED


def test_import_links_existing_person(session: Session) -> None:
    person = make_person(session, email="lea.roussel@mairie-grigny.fr")
    importer.import_csv(session, (DATA / "tableur.csv").read_bytes())
    session.commit()
    lea = services.by_email(session, "lea.roussel@mairie-grigny.fr")
    assert lea is not None and lea.person_id == person.id and lea.first_name == "Léa"


def test_file_without_address_column_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        importer.import_csv(session, b"Nom,Adresse postale\nDurand,12 rue Haute\n")
    assert "aucune colonne d'adresse e-mail" in caught.value.message
    assert "Adresse postale" in caught.value.message
    with pytest.raises(InvalidInput) as empty:
        importer.import_csv(session, b"")
    assert "vide" in empty.value.message


def test_cli_import_count_list_export_safe_against_formulas(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["subscribers", "import", str(DATA / "tableur.csv"), "--essai"])
    assert result.exit_code == 0, result.output
    assert "2 importée(s)" in result.output and "Essai à blanc" in result.output
    assert "Total : 0" in cli.invoke(app, ["subscribers", "count"]).output

    report = tmp_path / "rapport.csv"
    result = cli.invoke(
        app, ["subscribers", "import", str(DATA / "brevo_contacts.csv"), "--rapport", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "3 importée(s), 0 mise(s) à jour, 2 ignorée(s), 2 refusée(s)" in result.output
    assert "doublon de la ligne 2" in result.output
    assert len(report.read_text(encoding="utf-8-sig").splitlines()) == 8
    cli.invoke(app, ["subscribers", "import", str(DATA / "tableur.csv")])

    counted = cli.invoke(app, ["subscribers", "count"]).output
    assert "abonné·e : 5" in counted and "désabonné·e : 1" in counted and "Total : 6" in counted
    listed = cli.invoke(app, ["subscribers", "list", "--statut", "active"]).output
    assert "b.nguyen@cite-educative-sevran.fr" in listed and "jeanne.dupre" not in listed
    wrong = cli.invoke(app, ["subscribers", "list", "--statut", "partis"])
    assert wrong.exit_code == 1 and "statut « partis » inconnu" in wrong.output

    out = tmp_path / "abonnes.csv"
    assert cli.invoke(app, ["subscribers", "export", str(out)]).exit_code == 0
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][:4] == ["email", "prénom", "nom", "structure"]
    by_email = {row[0]: row for row in rows[1:]}
    assert (
        by_email["marc.petit@gip-politique-ville.fr"][3]
        == '\'=HYPERLINK("http://pirate.example/x","Cliquez")'
    )
    assert by_email["lea.roussel@mairie-grigny.fr"][3] == "'+33 Mairie de Grigny"
    assert by_email["helene.marchal@ville-bondy.fr"][2] == "Marchal"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_cli_add_and_unsubscribe(cli: CliRunner, session: Session) -> None:
    added = cli.invoke(
        app,
        [
            "subscribers",
            "add",
            "Paul.Martin@Exemple.fr",
            "--prenom",
            "Paul",
            "--source",
            "formulaire papier du 12/03/2026",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "paul.martin@exemple.fr est abonné·e" in added.output
    subscriber = session.exec(select(Subscriber)).one()
    assert subscriber.status == SubscriberStatus.ACTIVE and subscriber.consent_channel == "cli"
    session.rollback()
    gone = cli.invoke(app, ["subscribers", "unsubscribe", "paul.martin@exemple.fr"])
    assert "désabonné·e" in gone.output
    unknown = cli.invoke(app, ["subscribers", "unsubscribe", "inconnu@exemple.fr"])
    assert unknown.exit_code == 1 and "n'est pas dans la liste" in unknown.output
    bad = cli.invoke(app, ["subscribers", "add", "pas-une-adresse", "--source", "x"])
    assert bad.exit_code == 1 and "pas-une-adresse" in bad.output
