"""Event import (YAML and CSV) and the command line, as a coordinator uses them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from relais.events.importer import import_file
from relais.events.models import Event, Series
from relais.timefmt import local, utcnow

GOOD_YAML = """
events:
  - title: Rencontre des médiateurs
    starts_at: "08/04/2031 09:30"
    duration_minutes: 180
    theme: Médiation sociale
    venue: Mairie de Bondy
    capacity: 20
    liste_attente: non
  - titre: Webinaire santé
    debut: "2031-05-12 14:00"
    fin: "2031-05-12 15:30"
    modalite: webinaire
    lien: https://visio.exemple.fr/sante
"""

BAD_CSV = (
    "titre;debut;duree;places;modalite\n"
    "Bonne ligne;08/04/2031 09:30;120;10;présentiel\n"
    "Mauvaise date;31/02/2031 09:00;120;10;présentiel\n"
    "Places fausses;09/04/2031 09:00;120;beaucoup;téléportation\n"
)


def test_yaml_import_creates_events(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    report = import_file(session, path, "test")
    session.commit()
    assert report.ok and len(report.imported) == 2
    created = {e.title: e for e in session.exec(select(Event))}
    assert sorted(created) == ["Rencontre des médiateurs", "Webinaire santé"]
    assert created["Rencontre des médiateurs"].waitlist_enabled is False
    assert created["Webinaire santé"].format.value == "distanciel"


def test_bad_csv_imports_nothing_and_reports_each_line(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(BAD_CSV.encode("latin-1"))
    report = import_file(session, path, "test")
    session.commit()
    assert {line for line, _ in report.errors} == {3, 4}
    assert any("31/02/2031" in message for _, message in report.errors)
    assert any("places" in message and "entier" in message for _, message in report.errors)
    assert any("téléportation" in message for _, message in report.errors)
    assert session.exec(select(Event)).all() == []

    report = import_file(session, path, "test", skip_errors=True)
    session.commit()
    assert [e.title for e in session.exec(select(Event))] == ["Bonne ligne"]


def test_cycle_column_groups_sessions(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cycle.csv"
    path.write_text(
        "title,starts_at,cycle\nSéance 1,2031-01-10 09:00,Cycle A\nSéance 2,2031-02-10 09:00,Cycle A\n",
        encoding="utf-8",
    )
    report = import_file(session, path, "test")
    session.commit()
    assert report.ok
    series = session.exec(select(Series)).one()
    assert series.title == "Cycle A"
    assert {e.series_id for e in session.exec(select(Event))} == {series.id}


def _relais(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True, text=True, cwd=str(cwd), env=dict(os.environ), check=False,
    )  # fmt: skip


def test_demo_then_list_shows_french_dates(db_url: str, tmp_path: Path) -> None:
    first = _relais("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = _relais("demo", cwd=tmp_path)
    assert again.stdout == first.stdout  # idempotent
    listing = _relais("event", "list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "Webinaire" in listing.stdout
    assert any(month in listing.stdout for month in ("janv.", "févr.", "déc.", "nov."))
    networks = _relais("network", "list", cwd=tmp_path)
    assert networks.stdout.count("demo-") == 3
    year = local(utcnow() - timedelta(days=15)).year  # the demo's latest session already held
    stats = _relais("stats", "--year", str(year), cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert "Par type de structure" in stats.stdout and "Bailleur social" in stats.stdout
    assert "Type de structure non renseigné : " in stats.stdout
    assert "Type de structure non renseigné : 0" not in stats.stdout  # one demo person said nothing


def test_cli_import_error_report(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    result = _relais("event", "import", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert "ligne 3" in result.stderr and "ligne 4" in result.stderr
    assert "rien n'a été importé" in result.stderr
    unknown = _relais("event", "show", "zzzzzz", cwd=tmp_path)
    assert unknown.returncode == 1 and "zzzzzz" in unknown.stderr


def test_broken_files_get_one_clear_line(session: Session, tmp_path: Path) -> None:
    from relais.errors import InvalidInput

    cases = {
        "binary.csv": (bytes(range(256)) * 8, "pas un fichier texte"),
        "empty.csv": (b"", "vide"),
        "quote.csv": (b'titre,debut\n"abc,01/01/2031 10:00\n', "champ obligatoire"),
        "syntax.yaml": (b"events:\n  - [a\n", "syntaxe YAML ligne"),
        "item.yaml": (b"events:\n  - juste du texte\n", "n° 1"),
    }
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        try:
            report = import_file(session, path, "test")
        except InvalidInput as error:
            assert expected in error.message, (name, error.message)
        else:
            assert any(expected in message for _, message in report.errors), (name, report.errors)
        session.rollback()
    assert session.exec(select(Event)).all() == []


def test_past_dates_and_french_statuses(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(
        "titre;debut;statut\nAncienne;01/01/2020 10:00;publié\nNouvelle;01/01/2031 10:00;brouillon\n",
        encoding="utf-8",
    )
    report = import_file(session, path, "test", skip_errors=True)
    session.commit()
    assert [line for line, _ in report.errors] == [2]
    assert "passée" in report.errors[0][1]
    assert [(e.title, e.status.value) for e in session.exec(select(Event))] == [
        ("Nouvelle", "draft")
    ]
