"""Taking attendance: self check-in on the day, coordinators' marks, Zoom and Teams reports."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from relais.attendance import importer
from relais.attendance import services as attendance
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.audit import AuditEntry
from relais.cli.main import app
from relais.errors import DomainError, InvalidInput
from relais.events import services as events
from relais.events.models import Event
from relais.people.erasure import erase
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import local, parse_local
from tests.factories import make_event, make_person

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def _statuses(session: Session, event: Event) -> dict[int, AttendanceStatus]:
    assert event.id is not None
    return {pid: row.status for pid, row in attendance.for_event(session, event.id).items()}


def test_check_in_registered_person_once(session: Session) -> None:
    event = make_event(session)
    person = make_person(session)
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="bot")
    session.commit()
    first = attendance.check_in(session, event.id, person.id, now=event.starts_at)
    session.commit()
    again = attendance.check_in(
        session, event.id, person.id, now=event.starts_at + timedelta(minutes=5)
    )
    session.commit()
    assert (first.already, first.registered_now) == (False, False)
    assert again.already is True
    rows = session.exec(select(Attendance).where(Attendance.event_id == event.id)).all()
    assert [(r.status, r.method) for r in rows] == [
        (AttendanceStatus.PRESENT, AttendanceMethod.SELF_CHECKIN)
    ]
    audited = session.exec(
        select(AuditEntry).where(AuditEntry.action == "attendance.recorded")
    ).all()
    assert len(audited) == 1 and audited[0].actor == f"person:{person.id}"


def test_check_in_registers_walk_in_even_when_full(session: Session) -> None:
    event = make_event(session, capacity=1)
    holder, walk_in = make_person(session), make_person(session)
    assert event.id and holder.id and walk_in.id
    registrations.register(session, event.id, holder.id, source="bot")
    session.commit()
    result = attendance.check_in(session, event.id, walk_in.id, now=event.starts_at)
    session.commit()
    assert result.registered_now is True
    registration = session.exec(
        select(Registration).where(Registration.person_id == walk_in.id)
    ).one()
    assert (registration.status, registration.source) == (RegistrationStatus.CONFIRMED, "checkin")
    assert _statuses(session, event) == {walk_in.id: AttendanceStatus.PRESENT}


def test_check_in_reconfirms_a_cancelled_registration(session: Session) -> None:
    event = make_event(session)
    person = make_person(session)
    assert event.id and person.id
    outcome = registrations.register(session, event.id, person.id, source="bot")
    assert outcome.registration.id
    registrations.cancel(session, outcome.registration.id, "test")
    session.commit()
    assert attendance.check_in(session, event.id, person.id, now=event.starts_at).registered_now
    session.commit()
    session.refresh(outcome.registration)
    assert outcome.registration.status == RegistrationStatus.CONFIRMED


def test_check_in_window(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    event = make_event(session, starts_at=parse_local("14/10/2031 09:30"), duration_minutes=180)
    person = make_person(session)
    assert event.id and person.id
    with pytest.raises(DomainError) as early:
        attendance.check_in(session, event.id, person.id, now=event.starts_at - timedelta(hours=3))
    assert "ouvre le mardi 14 octobre 2031, 7 h 30" in early.value.message
    session.rollback()
    with pytest.raises(DomainError) as late:
        attendance.check_in(session, event.id, person.id, now=event.ends_at + timedelta(hours=2))
    assert "terminé" in late.value.message
    session.rollback()
    monkeypatch.setenv("CHECKIN_WINDOW_HOURS", "12")
    from tests.conftest import reset_caches

    reset_caches()
    opens, closes = attendance.checkin_window(event)
    assert (local(opens).hour, local(opens).date()) == (0, local(event.starts_at).date())
    assert local(closes).date() == local(event.starts_at).date() + timedelta(days=1)
    assert local(closes).hour == 0


def test_check_in_refused_for_cancelled_event(session: Session) -> None:
    event = make_event(session)
    person = make_person(session)
    assert event.id and person.id
    events.cancel(session, event.id, "intempéries", "test")
    session.commit()
    with pytest.raises(DomainError) as refused:
        attendance.check_in(session, event.id, person.id, now=event.starts_at)
    assert "annulé" in refused.value.message


def test_mark_absent_requires_a_registration(session: Session) -> None:
    event = make_event(session)
    person = make_person(session, first_name="Aïcha", last_name="Diallo")
    assert event.id and person.id
    with pytest.raises(DomainError) as refused:
        attendance.mark(session, event.id, [person.id], AttendanceStatus.ABSENT, "cli")
    assert "Aïcha Diallo n'est pas inscrit·e" in refused.value.message


def _webinar_people(session: Session) -> tuple[Event, dict[str, int]]:
    event = make_event(session, title="Webinaire médiation en santé", format="distanciel")
    ids: dict[str, int] = {}
    for first, last, email in [
        ("Marie", "Dupont", "marie.dupont@ville-evry.fr"),
        ("Karim", "Benali", "k.benali@mairie-grigny.fr"),
        ("Sophie", "Martin", "sophie.martin@caf91.fr"),
        ("Lucie", "Petit", "lucie.petit@asso-quartiers.org"),
        ("Paul", "Absent", "paul.absent@exemple.fr"),
    ]:
        person = make_person(session, first_name=first, last_name=last, email=email)
        assert person.id and event.id
        ids[first] = person.id
        registrations.register(session, event.id, person.id, source="bot")
    session.commit()
    return event, ids


@pytest.mark.parametrize("sample", ["zoom_participants.csv", "teams_rapport_presence.csv"])
def test_import_report_matches_by_email_then_name(session: Session, sample: str) -> None:
    event, ids = _webinar_people(session)
    lines = importer.read_report(DATA / sample)
    result = importer.apply(session, event, lines, actor="cli", min_minutes=10, mark_absent=True)
    session.commit()
    present = {ids["Marie"], ids["Karim"], ids["Sophie"]}
    assert set(result.marked) == present
    assert [line.name for line in result.too_short] == ["Lucie Petit"]
    unmatched = {line.name for line in result.unmatched}
    assert "CRPV Coordination" in unmatched
    statuses = _statuses(session, event)
    assert {pid for pid, s in statuses.items() if s == AttendanceStatus.PRESENT} == present
    assert statuses[ids["Paul"]] == AttendanceStatus.ABSENT
    assert statuses[ids["Lucie"]] == AttendanceStatus.ABSENT
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "attendance.imported")).one()
    assert json.loads(audit.details)["present"] == 3


def test_zoom_reconnections_are_summed(session: Session) -> None:
    lines = importer.read_report(DATA / "zoom_participants.csv")
    karim = [line for line in lines if line.name == "BENALI Karim"]
    assert [line.minutes for line in karim] == [32, 46]
    event, ids = _webinar_people(session)
    result = importer.apply(session, event, lines, actor="cli", min_minutes=70)
    assert ids["Karim"] in result.marked


def test_name_match_ambiguity_is_reported_not_guessed(session: Session, tmp_path: Path) -> None:
    event = make_event(session)
    make_person(session, first_name="Léa", last_name="Moreau", email="lea1@exemple.fr")
    make_person(session, first_name="Lea", last_name="MOREAU", email="lea2@exemple.fr")
    path = tmp_path / "zoom.csv"
    path.write_text("Nom (nom d'origine),Durée (minutes)\nLéa Moreau,50\n", encoding="utf-8")
    result = importer.apply(session, event, importer.read_report(path), actor="cli")
    assert [line.name for line in result.ambiguous] == ["Léa Moreau"]
    assert result.marked == {}


def test_unreadable_reports_say_why(tmp_path: Path) -> None:
    empty = tmp_path / "vide.csv"
    empty.write_text("bonjour;au revoir\n1;2\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as no_table:
        importer.read_report(empty)
    assert "aucun tableau de participants" in no_table.value.message
    bad = tmp_path / "duree.csv"
    bad.write_text("Nom,Durée (minutes)\nMarie Dupont,longtemps\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as duration:
        importer.read_report(bad)
    assert "ligne 2" in duration.value.message and "longtemps" in duration.value.message
    with pytest.raises(InvalidInput) as missing:
        importer.read_report(tmp_path / "absent.csv")
    assert "absent.csv" in missing.value.message


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("92", 92), ("1 h 34 min 30 s", 94.5), ("1h 2m", 62), ("01:30:00", 90), ("3 min 18 s", 3.3)],
)
def test_durations(text: str, minutes: float) -> None:
    assert importer.parse_minutes(text) == pytest.approx(minutes)


def test_cli_mark_and_import(session: Session, db_url: str) -> None:
    event, _ids = _webinar_people(session)
    result = runner.invoke(
        app, ["attendance", "mark", event.code, "paul.absent@exemple.fr", "--status", "excused"]
    )
    assert result.exit_code == 0, result.output
    assert "1 personne(s) marquée(s) excusé·e" in result.output
    unknown = runner.invoke(app, ["attendance", "mark", event.code, "qui@nulle.part"])
    assert unknown.exit_code == 1 and "qui@nulle.part" in unknown.output
    bad = runner.invoke(app, ["attendance", "mark", event.code, "x@y.fr", "--status", "peut-être"])
    assert bad.exit_code == 1 and "peut-être" in bad.output
    imported = runner.invoke(
        app, ["attendance", "import", event.code, str(DATA / "teams_rapport_presence.csv")]
    )
    assert imported.exit_code == 0, imported.output
    assert "« CRPV Coordination » (coordination@crpv-exemple.fr) introuvable" in imported.output
    listing = runner.invoke(app, ["attendance", "list", event.code])
    assert "excusé·e" in listing.output and "Dupont" in listing.output


def test_erased_person_keeps_attendance(session: Session) -> None:
    event = make_event(session, starts_at=parse_local("14/10/2031 09:30"))
    person = make_person(session)
    assert event.id and person.id
    attendance.mark(session, event.id, [person.id], AttendanceStatus.PRESENT, "cli")
    session.commit()
    erase(session, person.id, "test")
    session.commit()
    assert _statuses(session, event) == {person.id: AttendanceStatus.PRESENT}
