"""Imports keep the type of structure when the file has it (French or English headers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from relais.cli.main import app
from relais.newsletter import importer, services
from relais.reference import services as reference
from tests.factories import make_event, make_person

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Collectivité territoriale", "Collectivité territoriale"),
        ("collectivite", "Collectivité territoriale"),
        ("Mairie", "Collectivité territoriale"),
        ("etat", "Services de l'État"),
        ("Préfecture", "Services de l'État"),
        ("CAF", "Organisme public (CAF, France Travail…)"),
        ("France Travail", "Organisme public (CAF, France Travail…)"),
        ("Éducation nationale", "Établissement scolaire / Éducation nationale"),
        ("bailleur", "Bailleur social"),
        ("ASSOCIATION", "Association"),
        ("Company", "Entreprise"),
        ("autre", "Autre"),
        ("licorne", None),
        ("", None),
    ],
)
def test_usual_words_map_to_the_list(session: Session, text: str, expected: str | None) -> None:
    found = reference.match_structure_type(session, text)
    assert (found.name if found else None) == expected


def test_subscribers_import_keeps_the_type(session: Session) -> None:
    raw = (
        "Email;Prénom;Structure;Type de structure\n"
        "a@ville.fr;Ana;Ville de Sevran;Collectivité\n"
        "b@asso.fr;Bob;Asso Horizon;association\n"
        "c@x.fr;Cléo;Licornes SA;licorne\n"
    ).encode()
    report = importer.import_csv(session, raw)
    session.commit()
    assert report.count(importer.Outcome.IMPORTED) == 3
    assert [(note.number, note.email) for note in report.notes] == [(4, "c@x.fr")]
    assert "« licorne » inconnu" in report.notes[0].reason and "Autre" in report.notes[0].reason
    names = {kind.id: kind.name for kind in reference.structure_types(session)}
    kinds = {
        email: names.get(services.by_email(session, email).structure_type_id)  # type: ignore[union-attr]
        for email in ("a@ville.fr", "b@asso.fr", "c@x.fr")
    }
    assert kinds == {
        "a@ville.fr": "Collectivité territoriale", "b@asso.fr": "Association", "c@x.fr": None,
    }  # fmt: skip
    again = importer.import_csv(
        session, b"Email Address,Organization Type\na@ville.fr,State services\n"
    )
    assert "type de structure mis à jour" in again.lines[0].reason
    subscriber = services.by_email(session, "a@ville.fr")
    assert subscriber is not None and names[subscriber.structure_type_id or 0] == (
        "Services de l'État"
    )


def test_cli_subscribers_import_says_which_type_was_left_out(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    path = tmp_path / "abonnes.csv"
    path.write_text(
        "email,type of organisation\nz@x.fr,Martiens\ny@x.fr,Local authority\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["subscribers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 importée(s)" in result.output and "« Martiens » inconnu" in result.output
    out = tmp_path / "export.csv"
    assert runner.invoke(app, ["subscribers", "export", str(out)]).exit_code == 0
    rows = [line.split(";") for line in out.read_text(encoding="utf-8-sig").splitlines()]
    assert rows[0][4] == "type de structure"
    assert {row[0]: row[4] for row in rows[1:]} == {
        "y@x.fr": "Collectivité territoriale", "z@x.fr": "",
    }  # fmt: skip


def test_attendance_report_fills_only_missing_types(session: Session, tmp_path: Path) -> None:
    event = make_event(session, title="Webinaire mobilité")
    chose = reference.structure_type_named(session, "Association")
    kept = make_person(session, email="kept@x.fr", structure_type_id=chose.id)
    empty = make_person(session, email="empty@x.fr")
    odd = make_person(session, email="odd@x.fr")
    report = tmp_path / "zoom.csv"
    report.write_text(
        "Nom (nom d'origine),E-mail de l'utilisateur,Durée (minutes),Type de structure\n"
        "Kim,kept@x.fr,60,Entreprise\n"
        "Em,empty@x.fr,60,Bailleur social\n"
        "Od,odd@x.fr,60,Vaisseau spatial\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["attendance", "import", event.code, str(report)])
    assert result.exit_code == 0, result.output
    assert "repris du rapport pour 1 personne(s)" in result.output
    assert "ligne 4 : type de structure « Vaisseau spatial » inconnu" in result.output
    session.expire_all()
    types = {
        person.email: reference.structure_type(
            session, session.get(type(person), person.id).structure_type_id
        )  # type: ignore[union-attr]
        for person in (kept, empty, odd)
    }
    assert {email: kind.name if kind else None for email, kind in types.items()} == {
        "kept@x.fr": "Association", "empty@x.fr": "Bailleur social", "odd@x.fr": None,
    }  # fmt: skip


def test_attendance_report_in_english_with_type(session: Session, tmp_path: Path) -> None:
    from relais.attendance import importer as attendance_importer

    report = tmp_path / "teams.csv"
    report.write_text(
        "Name\tEmail\tDuration\tOrganization type\nAl Bo\tal@x.fr\t1h 2m\tSchool\n",
        encoding="utf-16",
    )
    lines = attendance_importer.read_report(report)
    assert [(line.email, line.structure_type) for line in lines] == [("al@x.fr", "School")]


def test_cli_subscribers_add_with_a_type(db_url: str, session: Session) -> None:
    base = ["subscribers", "add", "w@x.fr", "--source", "formulaire papier"]
    bad = runner.invoke(app, [*base, "--type-structure", "Martiens"])
    assert bad.exit_code == 1 and "type de structure « Martiens » inconnu" in bad.output
    assert services.by_email(session, "w@x.fr") is None  # nothing half-written
    session.commit()
    good = runner.invoke(app, [*base, "--type-structure", "bailleur"])
    assert good.exit_code == 0, good.output
    subscriber = services.by_email(session, "w@x.fr")
    assert subscriber is not None and subscriber.structure_type_id == (
        reference.structure_type_named(session, "Bailleur social").id
    )
