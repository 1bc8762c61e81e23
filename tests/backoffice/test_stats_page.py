"""« Chiffres » on the real server: the same figures as ``relais stats`` for the same data,
limited to a coordinator's networks, and the report downloads (HTML, XLSX, PDF)."""

from __future__ import annotations

import html
import io
import re

import httpx
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from relais.cli.main import app
from relais.networks.models import Network
from relais.stats import figures, tables
from tests.backoffice.conftest import coordinator, sign_in
from tests.presence.datagen import Size, generate
from tests.web.conftest import Live

WHOLE = "direction@crpv.example"
LIMITED = "coordo.reseau@crpv.example"
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


@pytest.fixture
def two_years(engine: Engine) -> None:
    with engine.begin() as connection:
        generate(
            connection, Size(years=(2024, 2025), sessions_per_year=30, attendees=6, people=160)
        )


def page_tables(text: str) -> dict[str, list[list[str]]]:
    """Each table of the page by its caption's id: the rows' cell texts (header row included)."""
    found: dict[str, list[list[str]]] = {}
    for match in re.finditer(
        r'<caption id="([a-z_]+)-titre">.*?</caption>(.*?)</table>', text, re.S
    ):
        rows = [[html.unescape(c).strip() for c in CELL.findall(r)] for r in ROW.findall(match[2])]
        found[match[1]] = rows
    return found


def cli_rows(output: str) -> dict[str, list[str]]:
    """The rows ``relais stats`` printed, by their first cell."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) > 1 and cells[0]:
            rows[cells[0]] = cells
    return rows


def _raw_participations(session: Session, network_id: int, year: int) -> int:
    """Present marks at the year's past published sessions inviting the network, counted in SQL."""
    lo, hi = figures.year_bounds(year)
    query = sa.text(
        "SELECT count(*) FROM attendance a JOIN event e ON e.id = a.event_id"
        " WHERE a.status = 'present' AND e.status = 'published' AND e.starts_at >= :lo"
        " AND e.starts_at < :hi AND e.id IN"
        " (SELECT event_id FROM event_network WHERE network_id = :network)"
    )
    bounds = {"lo": lo, "hi": hi, "network": network_id}
    if session.get_bind().dialect.name == "sqlite":
        bounds.update(lo=lo.replace(tzinfo=None), hi=hi.replace(tzinfo=None))
    count = int(session.execute(query, bounds).scalar_one())
    session.rollback()
    return count


def test_page_shows_the_figures_of_relais_stats(
    live: Live, session: Session, two_years: None
) -> None:
    coordinator(session, WHOLE)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, WHOLE)
        shown = client.get("/gestion/chiffres", params={"annee": "2025"})
    assert shown.status_code == 200
    printed = CliRunner().invoke(app, ["stats", "--year", "2025"])
    assert printed.exit_code == 0, printed.output
    on_page, in_terminal = page_tables(shown.text), cli_rows(printed.output)
    current, previous = (
        figures.compute(session, 2025),
        figures.compute(session, 2024, detailed=False),
    )
    session.rollback()
    expected = {table.key: table for table in tables.all_tables(current, previous)}
    assert set(on_page) == {key for key, table in expected.items() if table.rows}
    for key, rows in on_page.items():
        assert rows == [expected[key].columns, *expected[key].rows], key
    for row in on_page["key"][1:]:  # the key figures, cell by cell, as the terminal shows them
        assert in_terminal[row[0]] == row
    assert shown.text.count("<svg") >= 6 and shown.text.count("<figcaption>") >= 6
    assert 'style="' not in shown.text  # CSP: no inline style, even inside the charts


def test_limited_coordinator_sees_only_their_networks(
    live: Live, session: Session, two_years: None
) -> None:
    mine, other = session.exec(select(Network).order_by(col(Network.id)).limit(2)).all()
    assert mine.id is not None
    coordinator(session, LIMITED, mine)
    scoped = figures.compute(session, 2025, networks=frozenset({mine.id}))
    whole = figures.compute(session, 2025)
    session.rollback()
    assert 0 < scoped.totals.participations < whole.totals.participations
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, LIMITED)
        shown = client.get("/gestion/chiffres", params={"annee": "2025"}).text
        report = client.get("/gestion/chiffres/rapport-2025.html").text
        sheet = client.get("/gestion/chiffres/rapport-2025.xlsx").content
    participations = tables.number(scoped.totals.participations)
    key = page_tables(shown)["key"]
    assert next(row for row in key if row[0] == "Participations")[1] == participations
    assert f'<span class="big">{participations}</span>participations' in report
    assert other.name not in shown and other.name not in report and mine.name in shown
    assert other.name.encode() not in sheet
    assert f"Chiffres des séances de vos réseaux : {mine.name}." in html.unescape(shown)
    assert scoped.totals.participations == _raw_participations(session, mine.id or 0, 2025)
    assert {row.label for row in scoped.breakdowns["network"]} == {mine.name}


def test_report_downloads(live: Live, session: Session, two_years: None) -> None:
    coordinator(session, WHOLE)
    current = figures.compute(session, 2025)
    session.rollback()
    with httpx.Client(base_url=live.base, timeout=120) as client:
        sign_in(client, live, WHOLE)
        page = client.get("/gestion/chiffres", params={"annee": "2025"}).text
        assert all(
            f"/gestion/chiffres/rapport-2025.{kind}" in page for kind in ("html", "pdf", "xlsx")
        )
        answers = {
            kind: client.get(f"/gestion/chiffres/rapport-2025.{kind}")
            for kind in ("html", "xlsx", "pdf")
        }
        bad_year = client.get("/gestion/chiffres", params={"annee": "25"})
        far_year = client.get("/gestion/chiffres/rapport-1990.html")
        unknown_kind = client.get("/gestion/chiffres/rapport-2025.docx")
    for kind, answer in answers.items():
        assert answer.status_code == 200, kind
        assert (
            answer.headers["content-disposition"] == f'attachment; filename="rapport-2025.{kind}"'
        )
    assert "L'année 2025 en chiffres" in html.unescape(answers["html"].text)
    assert answers["html"].text.count("<svg") >= 6
    assert answers["pdf"].content.startswith(b"%PDF")
    book = load_workbook(io.BytesIO(answers["xlsx"].content))
    key_sheet = book.worksheets[0]
    cells = {row[0]: row[1] for row in key_sheet.iter_rows(min_row=3, values_only=True)}
    assert cells["Participations"] == tables.number(current.totals.participations)
    assert len(book.worksheets) >= 7
    assert bad_year.status_code == 409 and "Année « 25 » invalide" in html.unescape(bad_year.text)
    assert far_year.status_code == 409 and unknown_kind.status_code == 404
