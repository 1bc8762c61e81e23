"""Coordinators edit the reference lists with ``relais reference``; every channel follows."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from relais.cli.main import app
from relais.reference import services as reference
from tests.factories import make_person

runner = CliRunner()
# These tests change the seeded lists, which PostgreSQL runs keep from test to test
# (conftest.REFERENCE_TABLES): SQLite gets a fresh copy for each test.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def _names(session: Session) -> list[str]:
    session.expire_all()  # the command changed rows this session may hold
    names = [kind.name for kind in reference.structure_types(session)]
    session.commit()
    return names


def test_structure_types_are_edited_and_autre_stays_last(session: Session) -> None:
    bailleur = reference.structure_type_named(session, "Bailleur social")
    make_person(session, structure_type_id=bailleur.id)
    listed = runner.invoke(app, ["reference", "list", "structures"])
    assert listed.exit_code == 0, listed.output
    assert "Types de structure" in listed.output and "Organisme public" in listed.output
    bailleur_line = next(line for line in listed.output.splitlines() if "Bailleur social" in line)
    assert "proposé" in bailleur_line and bailleur_line.rstrip(" │").endswith("1")

    added = runner.invoke(app, ["reference", "add", "structures", "Fondation"])
    assert added.exit_code == 0 and "Ajouté : Fondation" in added.output
    assert _names(session)[-2:] == ["Fondation", "Autre"]

    renamed = runner.invoke(
        app, ["reference", "rename", "structures", "bailleur social", "Bailleur (HLM)"]
    )
    assert renamed.exit_code == 0, renamed.output
    assert "Bailleur (HLM)" in _names(session) and "Bailleur social" not in _names(session)

    retired = runner.invoke(app, ["reference", "disable", "structures", "Entreprise"])
    assert retired.exit_code == 0 and "Retiré des choix" in retired.output
    assert "Entreprise" not in _names(session)
    assert "retiré" in runner.invoke(app, ["reference", "list", "structures"]).output
    back = runner.invoke(app, ["reference", "enable", "structures", "Entreprise"])
    assert back.exit_code == 0 and "Entreprise" in _names(session)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["list", "couleurs"],
            "liste « couleurs » inconnue ; écrivez structures, profils, thematiques",
        ),
        (["add", "structures", "association"], "« association » est déjà dans la liste"),
        (["add", "profils", "   "], "le champ nom est vide"),
        (["add", "thematiques", "x" * 121], "nom"),
        (["rename", "structures", "Licorne", "Y"], "« Licorne » n'est pas dans cette liste"),
        (["rename", "structures", "Habitant", "Association"], "déjà dans la liste"),
        (["disable", "structures", "Autre"], "il reste proposé"),
    ],
)
def test_bad_edits_are_refused_in_french(db_url: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["reference", *args])
    assert result.exit_code == 1 and message in result.output, result.output


def test_profiles_and_themes_use_the_same_commands(session: Session) -> None:
    assert runner.invoke(app, ["reference", "add", "profils", "Animateur jeunesse"]).exit_code == 0
    assert reference.find_profile(session, "animateur jeunesse") is not None
    session.commit()
    assert runner.invoke(app, ["reference", "disable", "thématiques", "Culture"]).exit_code == 0
    assert reference.find_theme(session, "Culture") is None
