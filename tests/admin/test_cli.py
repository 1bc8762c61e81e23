"""The command-line equals of the bot's admin tools, as a coordinator types them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.models import BotOutboxMessage
from relais import signals
from relais.cli.main import app
from relais.events.models import Event, EventStatus
from relais.invitations.models import Broadcast
from relais.people.models import Person
from relais.plugins import subscribe_all
from relais.reference import services as reference
from relais.registrations import services as registrations
from relais.timefmt import local
from tests.admin.conftest import make_network
from tests.admin.test_invitations_core import email_channel  # noqa: F401
from tests.factories import make_event, make_person

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    """Run a command; the test's own session must not hold SQLite's write lock meanwhile."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _reload(session: Session, event_id: int) -> Event:
    """The event as the database has it now, read in a short transaction of its own."""
    with Session(session.get_bind(), expire_on_commit=False) as fresh:
        found = fresh.get(Event, event_id)
    assert found is not None
    return found


@pytest.fixture
def changed_events(monkeypatch: pytest.MonkeyPatch) -> list[signals.EventChanged]:
    seen: list[signals.EventChanged] = []
    subscribe_all()  # first, so that the channels' handlers are not subscribed into the patch
    handlers = signals._in_transaction[signals.EventChanged]
    monkeypatch.setitem(
        signals._in_transaction, signals.EventChanged, [*handlers, lambda _s, ev: seen.append(ev)]
    )
    return seen


def test_edit_moves_the_event_and_says_who_is_told(
    session: Session, changed_events: list[signals.EventChanged]
) -> None:
    event = make_event(session, duration_minutes=180, capacity=10)
    assert event.id is not None
    person = make_person(session)
    assert person.id is not None
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    code, output = _run(
        "event", "edit", event.code, "--debut", "8 avril 2031 9h30", "--lieu", "Mairie de Bondy"
    )
    assert code == 0, output
    assert "début, fin, lieu" in output and "Les 1 personne(s)" in output
    moved = _reload(session, event.id)
    assert local(moved.starts_at).strftime("%d/%m/%Y %H:%M") == "08/04/2031 09:30"
    assert (moved.ends_at - moved.starts_at).total_seconds() == 3 * 3600
    assert moved.sequence == 1 and changed_events[-1].moved

    code, output = _run("event", "edit", event.code, "--places", "0", "--fermer")
    assert code == 0, output
    reloaded = _reload(session, event.id)
    assert reloaded.capacity is None and not reloaded.registrations_open
    assert not changed_events[-1].moved and reloaded.sequence == 1

    code, output = _run("event", "edit", event.code, "--places", "0")
    assert code == 0 and "Rien à modifier" in output


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--debut", "31 février 2031 9h", "illisible"),
        ("--lien", "visio.exemple.fr", "lien"),
        ("--places", "beaucoup", "nombre de places"),
        ("--fin", "01/01/2000 09:00", "la fin doit être après le début"),
        ("--thematique", "Astronomie", "thématique"),
    ],
)
def test_edit_refuses_bad_values_and_changes_nothing(
    session: Session, option: str, value: str, words: str
) -> None:
    event = make_event(session)
    assert event.id is not None
    code, output = _run("event", "edit", event.code, option, value)
    assert code == 1 and words in output
    assert _reload(session, event.id).sequence == 0


def test_cancel_duplicate_publish(session: Session) -> None:
    event = make_event(session, status="draft")
    assert event.id is not None
    code, output = _run("event", "duplicate", event.code, "--debut", "12/05/2031 14:00")
    assert code == 0 and "brouillon" in output, output
    copy = session.exec(select(Event).where(Event.id != event.id)).one()
    session.commit()
    assert copy.status == EventStatus.DRAFT and copy.code in output
    code, output = _run("event", "publish", copy.code)
    assert code == 0 and "est publié" in output
    assert _reload(session, copy.id or 0).status == EventStatus.PUBLISHED
    code, output = _run("event", "cancel", event.code, "--motif", "  ")
    assert code == 1 and "motif" in output
    code, output = _run("event", "cancel", event.code, "--motif", "Intervenant malade")
    assert code == 0 and "est annulé" in output
    assert _reload(session, event.id).cancel_reason == "Intervenant malade"
    code, output = _run("event", "cancel", event.code, "--motif", "encore")
    assert code == 1 and "annulé" in output
    code, output = _run("event", "edit", event.code, "--lieu", "Ailleurs")
    assert code == 1 and "cet événement est annulé" in output
    code, output = _run("event", "duplicate", event.code, "--debut", "demain")
    assert code == 1 and "illisible" in output


def test_registrations_list_and_exports_are_formula_safe(session: Session, tmp_path: Path) -> None:
    event = make_event(session, capacity=1)
    assert event.id is not None
    association = reference.structure_type_named(session, "Association")
    first = make_person(
        session, last_name='=HYPERLINK("http://x")', organisation="+Assoc",
        structure_type_id=association.id,
    )  # fmt: skip
    second = make_person(session, last_name="Martin")
    for person in (first, second):
        assert person.id is not None
        registrations.register(session, event.id, person.id, source="test")
    session.commit()
    code, output = _run("registrations", "list", event.code)
    assert code == 0 and "1 inscrit(s), 1 en liste d'attente" in output

    target = tmp_path / "liste.csv"
    code, output = _run("registrations", "export", event.code, "--format", "csv", "-o", str(target))
    assert code == 0, output
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Nom" and rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][4] == "'+Assoc" and rows[2][0] == "Martin" and rows[2][9] == "1"
    assert rows[0][5] == "Type de structure" and (rows[1][5], rows[2][5]) == ("Association", "")

    code, output = _run("registrations", "export", event.code)
    assert code == 0, output
    sheet = load_workbook(tmp_path / f"inscriptions-{event.code}.xlsx").active
    assert sheet is not None
    cell = sheet["A2"]
    assert cell.value == '\'=HYPERLINK("http://x")' and cell.data_type == "s"
    assert sheet["I3"].value == "liste d'attente"
    code, output = _run("registrations", "export", event.code, "--format", "pdf")
    assert code == 1 and "xlsx ou csv" in output


def test_network_invite_reports_counts(session: Session, email_channel: None) -> None:  # noqa: F811
    network = make_network(session, "Réseau des médiateurs – 93", members=3)
    event = make_event(session)
    code, output = _run("network", "invite", event.code, network.code)
    assert code == 0, output
    assert "3 personne(s) invitée(s), 3 par e-mail et 0 par Telegram" in output
    code, output = _run("network", "invite", event.code, network.code)
    assert "0 personne(s) invitée(s)" in output and "3 déjà invité(s)" in output


def test_broadcast_preview_confirmation_and_yes(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = make_network(session, "Réseau des médiateurs – 93", members=2)
    for number, person in enumerate(session.exec(select(Person)).all()):
        person.telegram_id = 700 + number
        session.add(person)
    session.commit()
    message = tmp_path / "message.txt"
    message.write_text("Réunion reportée au 12 mai.\n", encoding="utf-8")
    subscribe_all()
    with monkeypatch.context() as without_telegram:
        for registry in (signals._in_transaction, signals._after_commit):
            without_telegram.setitem(registry, signals.BroadcastRequested, [])
        code, output = _run("broadcast", network.code, str(message), "--yes")
    assert code == 1 and "aucun canal Telegram" in output
    result = runner.invoke(app, ["broadcast", network.code, str(message)], input="n\n")
    assert result.exit_code == 1 and "Réunion reportée au 12 mai." in result.output
    assert "Envoi annulé" in result.output
    code, output = _run("broadcast", network.code, str(message), "--yes")
    assert code == 0 and "2 message(s) mis en file" in output
    assert len(session.exec(select(Broadcast)).all()) == 1
    queued = session.exec(select(BotOutboxMessage)).all()
    assert sorted(row.idempotency_key for row in queued) == [
        f"admin:broadcast:1:{person.id}" for person in session.exec(select(Person)).all()
    ]
    assert "Réunion reportée au 12 mai." in queued[0].text_html
    session.commit()
    message.write_bytes(b"\xff\xfe")
    code, output = _run("broadcast", network.code, str(message), "--yes")
    assert code == 1 and "illisible" in output
