"""Exports and the émargement sheet with the names people really have (CLI subprocess)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pdfplumber
import sqlalchemy as sa
from sqlmodel import Session

from relais.attendance import services as attendance
from relais.attendance.models import AttendanceStatus
from relais.registrations import services as registrations
from relais.timefmt import parse_local
from tests.factories import make_event, make_person

ARABIC = ("يوسف", "محمد")  # first, last: no lam-alef ligature, so NFKC round-trips
CHINESE_ORG = "北京市海淀区社区服务中心联合会议办公室"
LONG_ORG = (
    "Association intercommunale pour la médiation sociale et l'accompagnement des habitants "
    "des quartiers prioritaires Interprofessionnalitéintercommunautaire"
)


def relais(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True, text=True, cwd=str(cwd), env=dict(os.environ), check=False,
    )  # fmt: skip


def squeeze(text: str) -> str:
    return "".join(text.split())


def people_registered(session: Session) -> str:
    event = make_event(session, title="Rencontre des médiateurs",
                       starts_at=parse_local("14/10/2031 14:00"))  # fmt: skip
    specs = [
        {"first_name": ARABIC[0], "last_name": ARABIC[1], "organisation": "Ville de Sevran"},
        {"first_name": "小明", "last_name": "王", "organisation": CHINESE_ORG},
        {"first_name": "Marie-Héloïse", "last_name": "Dupont", "organisation": LONG_ORG},
        {"first_name": "Zoé", "last_name": "Nul", "organisation": "Mairie"},
    ]
    ids = []
    for spec in specs:
        person = make_person(session, **spec)
        assert event.id and person.id
        registrations.register(session, event.id, person.id, source="bot")
        ids.append(person.id)
    assert event.id
    attendance.mark(session, event.id, ids, AttendanceStatus.PRESENT, "cli")
    session.commit()
    # Names stored before single-line cleaning existed may hold control characters.
    session.connection().execute(
        sa.text("UPDATE person SET last_name = :name WHERE last_name = 'Nul'"),
        {"name": "Nul\x1b\x07"},
    )
    session.connection().execute(
        sa.text("UPDATE organisation SET name = :name WHERE name = 'Mairie'"),
        {"name": "Mairie\x0b\x1f d'Évry"},
    )
    session.commit()
    return event.code


def test_emargement_pdf_wraps_shapes_and_covers_every_script(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    code = people_registered(session)
    result = relais("export", "emargement", code, "--out", "feuille.pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with pdfplumber.open(tmp_path / "feuille.pdf") as pdf:
        [page] = pdf.pages
        [table] = page.find_tables()
        rows = [[cell or "" for cell in row] for row in table.extract()][1:]
        for cell in (c for row in table.rows for c in row.cells if c is not None):
            x0, top, x1, bottom = cell
            for char in page.within_bbox(cell, relative=False, strict=False).chars:
                if char["text"].strip():  # every glyph drawn in a cell stays inside it
                    assert x0 - 0.5 <= char["x0"] and char["x1"] <= x1 + 0.5, char["text"]
                    assert top - 0.5 <= char["top"] and char["bottom"] <= bottom + 0.5
        fonts = {char["text"]: char["fontname"] for char in page.chars}
    by_first = {squeeze(row[2]): row for row in rows if row[2]}

    [arabic] = [row for key, row in by_first.items() if "\ufe70" <= key[0] <= "\ufeff"]
    assert any("\ufe70" <= char <= "\ufeff" for char in arabic[1])  # letters joined
    assert unicodedata.normalize("NFKC", squeeze(arabic[1]))[::-1] == ARABIC[1]  # right to left
    assert unicodedata.normalize("NFKC", squeeze(arabic[2]))[::-1] == ARABIC[0]

    chinese = by_first["小明"]
    assert squeeze(chinese[3]) == CHINESE_ORG and squeeze(chinese[1]) == "王"
    assert "STSong" in fonts["京"] and "DejaVu" in fonts["é"]

    latin = by_first["Marie-Héloïse"]
    assert squeeze(latin[3]) == squeeze(LONG_ORG)  # wrapped inside its cell, nothing cut
    assert squeeze(by_first["Zoé"][1]) == "NUL"


def test_every_export_strips_control_characters(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    code = people_registered(session)
    commands = {
        "emargement.xlsx": ["export", "emargement", code, "--format", "xlsx"],
        "emargement.csv": ["export", "emargement", code, "--format", "csv"],
        "participants.xlsx": ["export", "participants", "--annee", "2031"],
        "participants.csv": ["export", "participants", "--annee", "2031", "--format", "csv"],
        "inscriptions.xlsx": ["registrations", "export", code, "--format", "xlsx", "-o"],
        "inscriptions.csv": ["registrations", "export", code, "--format", "csv", "-o"],
    }
    for name, command in commands.items():
        flag = [] if command[-1] == "-o" else ["--out"]
        result = relais(*command, *flag, name, cwd=tmp_path)
        assert result.returncode == 0, (name, result.stderr)
        path = tmp_path / name
        if name.endswith(".xlsx"):
            sheet = openpyxl.load_workbook(path).active
            assert sheet is not None
            values = [str(c.value or "") for row in sheet.iter_rows() for c in row]
        else:
            text = path.read_text(encoding="utf-8-sig")
            values = [c for row in csv.reader(text.splitlines(), delimiter=";") for c in row]
        joined = "".join(values)
        assert "Mairie d'Évry" in joined, name
        assert not any(unicodedata.category(ch) == "Cc" for ch in joined), name
        assert "Nul" in joined and ARABIC[1] in joined and CHINESE_ORG in joined, name
