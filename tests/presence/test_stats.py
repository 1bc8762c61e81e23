"""Every figure of the activity report equals an independent computation over the raw tables.

The data is generated (cycles, networks, cancelled and draft events,
cancelled and waitlisted registrations, walk-ins, unmarked people, erased
people, answers); the expected figures are computed here in plain Python
from ``SELECT *`` of each table, without the code under test.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from relais.attendance import services as attendance
from relais.attendance.models import AttendanceStatus
from relais.cli.main import app
from relais.registrations import services as registrations
from relais.stats import charts, figures, tables
from relais.timefmt import format_number, half_days, local, parse_local
from tests.conftest import assert_golden
from tests.factories import make_event, make_person
from tests.presence.datagen import Size, generate

YEARS = (2024, 2025)
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)  # mid-2025: later sessions are not over yet
runner = CliRunner()


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Raw:
    """The tables as plain Python rows."""

    events: dict[int, dict[str, Any]]
    marks: list[dict[str, Any]]
    registrations: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    people: dict[int, dict[str, Any]]
    links: list[tuple[int, int]]
    members: list[tuple[int, int]]


def _rows(connection: sa.Connection, sql: str) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(sa.text(sql))]


def load(engine: Engine) -> Raw:
    with engine.connect() as c:
        events = {row["id"]: row for row in _rows(c, "SELECT * FROM event")}
        for row in events.values():
            row["starts_at"], row["ends_at"] = _moment(row["starts_at"]), _moment(row["ends_at"])
        return Raw(
            events=events,
            marks=_rows(c, "SELECT * FROM attendance"),
            registrations=_rows(c, "SELECT * FROM registration"),
            answers=_rows(c, "SELECT * FROM satisfaction_answer"),
            people={row["id"]: row for row in _rows(c, "SELECT * FROM person")},
            links=[(r["event_id"], r["network_id"]) for r in _rows(c, "SELECT * FROM event_network")],
            members=[(r["network_id"], r["person_id"]) for r in _rows(c, "SELECT * FROM network_member")],
        )  # fmt: skip


def expected(raw: Raw, year: int, now: datetime) -> dict[str, Any]:
    scope = {
        eid for eid, e in raw.events.items()
        if e["status"] == "published" and local(e["starts_at"]).year == year
        and e["starts_at"] < now  # held sessions only: the current year's are not all past
    }  # fmt: skip
    present = [m for m in raw.marks if m["event_id"] in scope and m["status"] == "present"]
    mark_of = {(m["event_id"], m["person_id"]): m["status"] for m in raw.marks}
    taken = {m["event_id"] for m in raw.marks}
    confirmed = [
        r for r in raw.registrations if r["event_id"] in scope and r["status"] == "confirmed"
    ]
    judged = [
        r
        for r in confirmed
        if raw.events[r["event_id"]]["ends_at"] < now and r["event_id"] in taken
    ]
    answers = [a for a in raw.answers if a["event_id"] in scope]
    half = {
        eid: half_days(raw.events[eid]["starts_at"], raw.events[eid]["ends_at"]) for eid in scope
    }
    totals = {
        "sessions": len(scope),
        "half_days": sum(half.values()),
        "cycles": len({raw.events[eid]["series_id"] for eid in scope} - {None}),
        "participations": len(present),
        "participants": len({m["person_id"] for m in present}),
        "confirmed": len(confirmed),
        "expected": len(judged),
        "no_shows": sum(mark_of.get((r["event_id"], r["person_id"])) in (None, "absent") for r in judged),
        "excused": sum(mark_of.get((r["event_id"], r["person_id"])) == "excused" for r in judged),
        "answers": len(answers),
        "rating_sum": sum(a["rating"] for a in answers),
        "satisfied": sum(a["rating"] >= 4 for a in answers),
    }  # fmt: skip

    def by_event(key_of: Any) -> dict[str, tuple[int, int, int, int]]:
        groups: dict[str, set[int]] = defaultdict(set)
        for eid in scope:
            for key in key_of(eid):
                groups[str(key)].add(eid)
        result = {}
        for key, eids in groups.items():
            rows = [m for m in present if m["event_id"] in eids]
            result[key] = (
                len(eids),
                sum(half[e] for e in eids),
                len(rows),
                len({m["person_id"] for m in rows}),
            )
        return result  # fmt: skip

    def by_person(key_of: Any) -> dict[str, tuple[int, int]]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for mark in present:
            groups[str(key_of(raw.people[mark["person_id"]]))].append(mark)
        return {k: (len(v), len({m["person_id"] for m in v})) for k, v in groups.items()}

    networks_of: dict[int, list[int]] = defaultdict(list)
    for eid, nid in raw.links:
        networks_of[eid].append(nid)

    breakdowns = {
        "theme": by_event(lambda eid: [raw.events[eid]["theme_id"]]),
        "format": by_event(lambda eid: [raw.events[eid]["format"]]),
        "network": by_event(lambda eid: networks_of[eid]),
        "departement": by_person(lambda p: p["departement_code"]),
        "profile": by_person(lambda p: p["profile_id"]),
        "structure_type": by_person(lambda p: p["structure_type_id"]),
    }
    member_count: dict[int, int] = defaultdict(int)
    for nid, _pid in raw.members:
        member_count[nid] += 1
    blocks = {}
    for key, (meetings, _half, participations, participants) in breakdowns["network"].items():
        nid = int(key)
        eids = {eid for eid in scope if nid in networks_of[eid]}
        rated = [a for a in answers if a["event_id"] in eids]
        blocks[nid] = (
            meetings, participations, participants, member_count[nid],
            sorted(raw.events[e]["starts_at"] for e in eids), len(rated),
            sum(a["rating"] >= 4 for a in rated),
        )  # fmt: skip
    per_session = {}
    for eid in {a["event_id"] for a in answers}:
        rated = [a["rating"] for a in answers if a["event_id"] == eid]
        per_session[(raw.events[eid]["title"], raw.events[eid]["starts_at"])] = (
            sum(1 for m in present if m["event_id"] == eid), len(rated),
            pytest.approx(sum(rated) / len(rated)), sum(r >= 4 for r in rated),
        )  # fmt: skip
    ratings: dict[int, int] = defaultdict(int)
    for a in answers:
        ratings[a["rating"]] += 1
    return {
        "totals": totals, "breakdowns": breakdowns, "blocks": blocks,
        "per_session": per_session, "ratings": dict(ratings),
        "comments": sum(1 for a in answers if a["comment"]),
    }  # fmt: skip


@pytest.fixture
def generated(engine: Engine) -> Raw:
    with engine.begin() as connection:
        generate(connection, Size(years=YEARS, sessions_per_year=60, attendees=8, people=260))
    return load(engine)


@pytest.mark.parametrize("year", YEARS)
def test_every_figure_matches_raw_tables(
    session: Session, engine: Engine, generated: Raw, year: int
) -> None:
    computed = figures.compute(session, year, now=NOW)
    truth = expected(generated, year, NOW)
    assert {name: getattr(computed.totals, name) for name in truth["totals"]} == truth["totals"]
    for key, rows in computed.breakdowns.items():
        if key in tables.EVENT_DIMENSIONS:
            got: dict[str, tuple[int, ...]] = {
                r.key: (r.sessions or 0, r.half_days or 0, r.participations, r.participants)
                for r in rows
            }
        else:
            got = {r.key: (r.participations, r.participants) for r in rows}
        assert got == truth["breakdowns"][key], key
    names = {
        row[0]: row[1] for row in session.execute(sa.text("SELECT id, name FROM network")).all()
    }
    blocks = {
        block.name: (
            block.meetings, block.participations, block.participants, block.members,
            block.dates, block.answers, block.satisfied,
        )
        for block in computed.networks
    }  # fmt: skip
    assert blocks == {names[nid]: value for nid, value in truth["blocks"].items()}
    sessions = {
        (s.title, s.starts_at): (s.participations, s.answers, s.average, s.satisfied)
        for s in computed.satisfaction
    }
    assert sessions == truth["per_session"]
    assert computed.ratings == truth["ratings"]
    assert len(computed.comments) == min(figures.COMMENTS_SHOWN, truth["comments"])


@pytest.mark.parametrize("year", YEARS)
def test_structure_type_unknown_share_matches_raw_tables(
    session: Session, generated: Raw, year: int
) -> None:
    """The stated share of « non renseigné » is the raw count of present people with no type."""
    computed = figures.compute(session, year, now=NOW)
    scope = {
        eid for eid, e in generated.events.items()
        if e["status"] == "published" and local(e["starts_at"]).year == year and e["starts_at"] < NOW
    }  # fmt: skip
    present = [m for m in generated.marks if m["event_id"] in scope and m["status"] == "present"]
    unknown = [m for m in present if generated.people[m["person_id"]]["structure_type_id"] is None]
    share = figures.unknown_share(computed.breakdowns["structure_type"], computed.totals)
    assert share == (
        pytest.approx(len(unknown) / len(present)),
        pytest.approx(
            len({m["person_id"] for m in unknown}) / len({m["person_id"] for m in present})
        ),
    )
    assert 0 < share[0] < 1
    rows = computed.breakdowns["structure_type"]
    assert rows[-1].label == "Non renseigné" and rows[-1].key == figures.UNKNOWN_KEY
    names = dict(session.execute(sa.text("SELECT id, name FROM structure_type")).all())
    assert {row.label for row in rows[:-1]} <= set(names.values())
    table = tables.breakdown("structure_type", computed, figures.compute(session, year - 1))
    assert table.note == (
        f"Type de structure non renseigné : {tables.percent(share[0])} des participations, "
        f"{tables.percent(share[1])} des participants distincts."
    )


def test_generated_data_covers_the_hard_cases(generated: Raw) -> None:
    """The comparison above means something only if the data has every case."""
    erased = {pid for pid, p in generated.people.items() if p["erased_at"] is not None}
    present = {m["person_id"] for m in generated.marks if m["status"] == "present"}
    assert erased & present
    statuses = {r["status"] for r in generated.registrations}
    assert {"cancelled", "waitlisted", "confirmed"} <= statuses
    assert {e["status"] for e in generated.events.values()} >= {"cancelled", "draft", "published"}
    assert any(e["series_id"] for e in generated.events.values())
    registered = {(r["event_id"], r["person_id"]) for r in generated.registrations}
    assert any((m["event_id"], m["person_id"]) not in registered for m in generated.marks)
    assert {m["status"] for m in generated.marks} == {"present", "absent", "excused"}


def test_year_follows_local_time(session: Session) -> None:
    """A session at 00:30 on 1 January in Paris (23:30 UTC the day before) is next year's."""
    event = make_event(session, starts_at=parse_local("01/01/2025 00:30"), duration_minutes=60)
    person = make_person(session)
    assert event.id and person.id
    attendance.mark(session, event.id, [person.id], AttendanceStatus.PRESENT, "cli")
    session.commit()
    assert event.starts_at.year == 2024
    assert figures.compute(session, 2024).totals.participations == 0
    assert figures.compute(session, 2025).totals.participations == 1


def test_sessions_still_to_come_are_not_counted(session: Session) -> None:
    held = make_event(session, starts_at=parse_local("10/03/2031 09:00"))
    make_event(session, starts_at=parse_local("10/09/2031 09:00"))
    assert held.id
    assert figures.compute(session, 2031, now=parse_local("01/06/2031 12:00")).totals.sessions == 1
    assert figures.compute(session, 2031, now=parse_local("01/01/2032 12:00")).totals.sessions == 2


def test_no_show_rate_definition(session: Session) -> None:
    over = make_event(session, starts_at=parse_local("10/03/2031 09:00"))
    untaken = make_event(session, starts_at=parse_local("11/03/2031 09:00"))
    people = [make_person(session) for _ in range(5)]
    ids = [p.id for p in people if p.id]
    assert over.id and untaken.id and len(ids) == 5
    for event_id in (over.id, untaken.id):
        for pid in ids:
            registrations.register(
                session, event_id, pid, source="bot", now=parse_local("01/03/2031 09:00")
            )
    session.commit()
    cancelled = registrations.for_event(session, over.id)[4][0]
    assert cancelled.id
    registrations.cancel(session, cancelled.id, "test")
    for pid, status in zip(ids, ["present", "absent", "excused"], strict=False):
        attendance.mark(session, over.id, [pid], AttendanceStatus(status), "cli")
    session.commit()
    after = over.ends_at + timedelta(days=30)
    totals = figures.compute(session, 2031, now=after).totals
    # over: 4 confirmed (1 cancelled) — present, absent, excused, unmarked; untaken is ignored
    assert (totals.confirmed, totals.expected) == (9, 4)
    assert (totals.no_shows, totals.excused) == (2, 1)
    assert totals.no_show_rate == pytest.approx(0.5)
    assert figures.compute(session, 2031, now=over.starts_at).totals.expected == 0


def test_cli_stats_and_report(session: Session, generated: Raw, tmp_path: Path) -> None:
    current = figures.compute(session, 2025)
    session.rollback()
    shown = runner.invoke(app, ["stats", "--year", "2025"])
    assert shown.exit_code == 0, shown.output
    assert "Chiffres clés 2025" in shown.output and "Par profil professionnel" in shown.output
    assert "Par type de structure" in shown.output
    structure = tables.breakdown("structure_type", current, figures.compute(session, 2024))
    session.rollback()
    assert structure.note in shown.output
    assert format_number(current.totals.participations) in shown.output
    out = tmp_path / "rapport-2025.html"
    written = runner.invoke(app, ["report", "--year", "2025", "--out", str(out)])
    assert written.exit_code == 0, written.output
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") >= 6
    assert format_number(current.totals.participants) in html
    assert structure.note.replace("'", "&#39;") in html
    assert tables.percent(current.totals.satisfaction_rate) in html
    for block in current.networks:
        assert block.name in html
    bad = runner.invoke(app, ["stats", "--year", "25"])
    assert bad.exit_code == 1 and "quatre chiffres" in bad.output
    wrong = runner.invoke(app, ["report", "--year", "2025", "--out", str(tmp_path / "r.docx")])
    assert wrong.exit_code == 1 and "r.docx" in wrong.output


def test_empty_year_prints_a_sentence(db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["stats", "--year", "2019"])
    assert result.exit_code == 0 and "Aucune séance publiée en 2019" in result.output
    out = tmp_path / "vide.html"
    report = runner.invoke(app, ["report", "--year", "2019", "--out", str(out)])
    assert report.exit_code == 0, report.output
    assert "L'année 2019 en chiffres" in out.read_text(encoding="utf-8")


def test_charts_write_values_as_text() -> None:
    bars = charts.bar_chart([("Santé", 1200), ("Culture & <art>", 3)], title="Par thématique")
    assert "1\u202f200" in bars and "Culture &amp; &lt;art&gt;" in bars
    assert charts.bar_chart([], title="vide") == ""
    whole = charts.pie_chart([("webinaire", 5)], title="Modalités")
    assert "<circle" in whole and "100\u202f%" in whole
    many = charts.pie_chart([(f"P{n}", 10 - n) for n in range(10)], title="Profils", other="autres")
    assert "autres" in many and many.count("<path") == charts.MAX_SLICES


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pdf_report_through_chromium(session: Session, tmp_path: Path) -> None:
    import shutil

    import pdfplumber

    from relais.stats.report import BROWSERS

    if not any(shutil.which(name) for name in BROWSERS):
        pytest.skip("Chromium absent (.ci/run installs it)")
    event = make_event(
        session, title="Rencontre régionale", starts_at=parse_local("12/03/2025 09:30")
    )
    person = make_person(session)
    assert event.id and person.id
    attendance.mark(session, event.id, [person.id], AttendanceStatus.PRESENT, "cli")
    session.commit()
    out = tmp_path / "rapport-2025.pdf"
    result = runner.invoke(app, ["report", "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with pdfplumber.open(out) as pdf:
        text = " ".join(page.extract_text() for page in pdf.pages)
    words = " ".join(text.replace("\u2019", "'").split())  # position-independent
    assert "L'année 2025 en chiffres" in words and "Par thématique" in words


def test_structure_type_table_golden(session: Session) -> None:
    """What the report and ``relais stats`` print for the types of structure, kept as a file."""
    from relais.reference import services as reference

    kinds = {
        name: reference.structure_type_named(session, name).id
        for name in ("Association", "Collectivité territoriale", "Autre")
    }
    sessions = [
        make_event(session, starts_at=parse_local(f"{day}/03/2031 09:30")) for day in (10, 17)
    ]
    crowd = [
        make_person(session, structure_type_id=kinds["Association"]),
        make_person(session, structure_type_id=kinds["Association"]),
        make_person(session, structure_type_id=kinds["Collectivité territoriale"]),
        make_person(session, structure_type_id=kinds["Autre"]),
        make_person(session),
    ]
    for index, event in enumerate(sessions):
        ids = [p.id for p in crowd[index:] if p.id]
        attendance.mark(session, event.id or 0, ids, AttendanceStatus.PRESENT, "cli")
    session.commit()
    now = parse_local("01/01/2032 12:00")
    table = tables.breakdown(
        "structure_type",
        figures.compute(session, 2031, now=now),
        figures.compute(session, 2030, now=now),
    )
    text = "\n".join(
        [
            table.title,
            " | ".join(table.columns),
            *(" | ".join(row) for row in table.rows),
            table.note,
        ]
    )
    assert_golden("presence/stats_structure_type.txt", text + "\n")


GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "presence"


def test_zero_says_what_is_counted(db_url: str) -> None:
    """Sessions published for later are not « no session »: the sentence says why zero."""
    from datetime import timedelta

    from relais.db import session_scope
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from relais.timefmt import local, utcnow

    year = local(utcnow()).year + 1
    with session_scope() as session:
        for days in (0, 7):
            start = local(utcnow()).replace(year=year, month=3, day=3, hour=9, minute=30)
            events.create(
                session,
                EventInput(
                    title=f"Séance {days}",
                    starts_at=start + timedelta(days=days),
                    duration_minutes=60,
                ),
                "test",
            )
    result = runner.invoke(app, ["stats", "--year", str(year)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"2 séance(s) publiée(s) en {year}, aucune n'a encore eu lieu" in said
    assert f"3 mars {year}, 9 h 30) : les chiffres comptent les séances passées" in said
