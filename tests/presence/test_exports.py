"""QR posters, attendance sheets and participant lists, opened the way people open them."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pdfplumber
import pytest
import segno
from sqlmodel import Session
from typer.testing import CliRunner

from relais.access import links
from relais.attendance import services as attendance
from relais.attendance.models import AttendanceStatus
from relais.cli.main import app
from relais.events.models import Event
from relais.exports import qr
from relais.exports.safe import neutralise
from relais.people.erasure import erase
from relais.registrations import services as registrations
from relais.timefmt import parse_local
from tests.factories import make_event, make_person

runner = CliRunner()


def _pdf_text(path: Path) -> str:
    """Every page's text, read by pdfplumber (a pinned dev dependency), spaces collapsed."""
    with pdfplumber.open(path) as pdf:
        raw = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return " ".join(raw.split())


def _pdf_rows(path: Path) -> list[list[str]]:
    """The émargement table's body rows, each cell's text as pdfplumber finds it inside the cell."""
    rows: list[list[str]] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                rows += [[" ".join((cell or "").split()) for cell in row] for row in table[1:]]
    return rows


def _session_with_people(session: Session, **fields: object) -> tuple[Event, list[int]]:
    fields.setdefault("starts_at", parse_local("14/10/2031 14:00"))  # a fixed time of day
    event = make_event(session, title="Rencontre des médiateurs & partenaires", **fields)
    ids = []
    for first, last, organisation in [
        ("Marie", "Dupont", "Ville d'Évry-Courcouronnes"),
        ("Karim", "Benali", '=HYPERLINK("http://mal.example/x","clic")'),
        ("Sophie", "Martin", "+33 CAF"),
    ]:
        person = make_person(session, first_name=first, last_name=last, organisation=organisation)
        assert person.id and event.id
        registrations.register(session, event.id, person.id, source="bot")
        ids.append(person.id)
    session.commit()
    return event, ids


def test_qr_files_encode_the_checkin_link(session: Session, tmp_path: Path) -> None:
    event = make_event(session, title="Atelier participation citoyenne")
    files = qr.write_qr(event, tmp_path / "qr")
    link = f"https://t.me/RelaisCRPVBot?start=p_{event.code}"
    assert links.checkin_link(event) == link
    assert files.png.read_bytes().startswith(b"\x89PNG")
    svg = files.svg.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "Atelier participation citoyenne" in svg
    expected = tmp_path / "attendu.png"
    segno.make(link, error="m").save(str(expected), scale=12, border=4)
    assert files.png.read_bytes() == expected.read_bytes()
    text = _pdf_text(files.poster)
    assert "Atelier participation citoyenne" in text and f"/start p_{event.code}" in text


def test_no_checkin_poster_without_a_bot(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check-in is done in the bot: with none named, a QR code would lead nowhere."""
    from relais.settings import get_settings

    event = make_event(session, title="Atelier")
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["export", "qr", event.code, "--out", str(tmp_path / "qr")])
    assert result.exit_code != 0 and "TELEGRAM_BOT_USERNAME" in result.output
    assert not (tmp_path / "qr").exists()


def test_emargement_pdf_lists_confirmed_people_and_blank_rows(
    session: Session, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNDER_NAMES", "Avec le soutien de l'ANCT et du FSE+")
    from tests.conftest import reset_caches

    reset_caches()
    event, _ids = _session_with_people(session, capacity=2)
    out = tmp_path / "feuille.pdf"
    result = runner.invoke(
        app, ["export", "emargement", event.code, "--out", str(out), "--lignes-vierges", "5"]
    )
    assert result.exit_code == 0, result.output
    text = _pdf_text(out)
    assert "Feuille d'émargement" in text and "Avec le soutien de l'ANCT et du FSE+" in text
    assert "Rencontre des médiateurs & partenaires" in text
    assert "DUPONT" in text and "BENALI" in text
    assert "MARTIN" not in text  # on the waiting list, not expected in the room
    rows = _pdf_rows(out)
    assert [row[0] for row in rows] == [str(n) for n in range(1, 8)]  # 2 people, 5 blank rows
    assert [row[1] for row in rows[:2]] == ["BENALI", "DUPONT"] and not any(rows[2][1:])


def test_long_session_gets_morning_and_afternoon_signatures(
    session: Session, tmp_path: Path
) -> None:
    from relais.exports.sheets import emargement_pdf

    event = make_event(session, starts_at=parse_local("14/10/2031 09:00"), duration_minutes=420)
    path = tmp_path / "journee.pdf"
    path.write_bytes(emargement_pdf(session, event))
    text = _pdf_text(path)
    assert "Signature matin" in text and "Signature après-midi" in text


def test_xlsx_and_csv_are_safe_against_formulas(session: Session, tmp_path: Path) -> None:
    event, ids = _session_with_people(session)
    assert event.id
    attendance.mark(session, event.id, ids[:1], AttendanceStatus.PRESENT, "cli")
    session.commit()
    xlsx, csv_path = tmp_path / "inscrits.xlsx", tmp_path / "inscrits.csv"
    for path, kind in ((xlsx, "xlsx"), (csv_path, "csv")):
        result = runner.invoke(
            app, ["export", "emargement", event.code, "--format", kind, "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert cells['=HYPERLINK("http://mal.example/x","clic")'] == "s"
    assert "présent·e" in cells
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][0] == "Nom"
    organisations = {row[4] for row in rows[1:]}
    assert '\'=HYPERLINK("http://mal.example/x","clic")' in organisations
    assert "'+33 CAF" in organisations
    assert neutralise("-1+1") == "'-1+1" and neutralise(42) == 42


def test_bad_export_format_is_explained(session: Session, db_url: str) -> None:
    event = make_event(session)
    result = runner.invoke(app, ["export", "emargement", event.code, "--format", "docx"])
    assert result.exit_code == 1 and "« docx » inconnu" in result.output


def test_participants_export_counts_sessions_and_keeps_erased_anonymous(
    session: Session, tmp_path: Path, db_url: str
) -> None:
    first = make_event(session, starts_at=parse_local("14/10/2031 09:00"))
    second = make_event(session, starts_at=parse_local("18/11/2031 09:00"))
    marie = make_person(session, first_name="Marie", last_name="Dupont", phone="06 12 34 56 78")
    gone = make_person(session, first_name="Paul", last_name="Parti")
    assert first.id and second.id and marie.id and gone.id
    for event in (first, second):
        assert event.id
        attendance.mark(session, event.id, [marie.id], AttendanceStatus.PRESENT, "cli")
    attendance.mark(session, first.id, [gone.id], AttendanceStatus.PRESENT, "cli")
    session.commit()
    erase(session, gone.id, "test")
    session.commit()
    out = tmp_path / "participants.csv"
    result = runner.invoke(
        app, ["export", "participants", "--annee", "2031", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Dupont"][3] == "'+0612345678" or by_name["Dupont"][3] == "0612345678"
    assert by_name["Dupont"][8] == "2"
    assert "14/10/2031" in by_name["Dupont"][9] and "18/11/2031" in by_name["Dupont"][9]
    assert by_name["(personne anonymisée)"][2] == ""
    empty = runner.invoke(app, ["export", "participants", "--annee", "2019"])
    assert empty.exit_code == 1 and "aucune présence" in empty.output
