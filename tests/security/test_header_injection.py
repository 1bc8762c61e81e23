"""Words people type never become a header line, and odd characters still reach people."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from mailer import compose
from mailer.dispatch import Dispatcher
from relais.events import services as events
from relais.registrations import services as registrations
from relais.settings import get_settings
from tests.factories import make_event, make_person
from tests.mail.conftest import SmtpRecorder, part_of


def relais(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True, text=True, cwd=str(cwd), env=dict(os.environ), check=False,
    )  # fmt: skip


async def dispatch() -> int:
    dispatcher = Dispatcher(get_settings())
    try:
        return await dispatcher.run_once()
    finally:
        await dispatcher.close()


async def test_title_with_a_line_break_stays_in_one_subject_line(
    session: Session, smtp_server: SmtpRecorder, tmp_path: Path
) -> None:
    event = make_event(session, title="Rencontre des médiateurs")
    person = make_person(session, email="inscrite@exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    await dispatch()
    smtp_server.messages.clear()

    edited = relais(
        "event", "edit", event.code, "--titre", "Nouveau titre\r\nBcc: x@y\u2028suite",
        "--lieu", "Salle 2\nX-Evil: 1", cwd=tmp_path,
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    session.expire_all()
    stored = events.get(session, event.id)
    session.commit()
    assert stored.title == "Nouveau titre Bcc: x@y suite"
    assert stored.venue == "Salle 2 X-Evil: 1"

    assert await dispatch() >= 1
    [message] = [m for m in smtp_server.messages if m["To"] == "inscrite@exemple.fr"]
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert "Bcc: x@y" in str(message["Subject"])
    assert all(address == ["inscrite@exemple.fr"] for _, address in smtp_server.envelopes)
    calendar = part_of(message, "text/calendar").get_content()
    assert "X-Evil" not in calendar.replace("X-Evil: 1", "")  # only inside LOCATION's value
    assert not any(line.startswith("X-Evil") for line in calendar.splitlines())


async def test_odd_characters_render_and_deliver(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    long_word = "Interprofessionnalité" * 8
    event = make_event(session, title=f"Atelier\x00 {long_word} \u2028 fin\x1b", venue="Lieu\x07")
    person = make_person(session, email="odd@exemple.fr", first_name="Zoé\x00\u2029")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    assert await dispatch() == 1
    [message] = smtp_server.messages
    subject = str(message["Subject"])
    assert long_word in subject and "\x00" not in subject and "\x1b" not in subject
    assert "Zoé" in part_of(message, "text/plain").get_content()


def test_composer_never_emits_a_header_line_break() -> None:
    mail = compose.message(subject="Salut\r\nBcc: x@y", text="t", html="<p>t</p>")
    compose.address_headers(mail, to="a@exemple.fr\r\nCc: z@y", message_id="<1@x>")
    mail["X-Extra"] = "un\nBcc: deux"
    raw = compose.to_bytes(mail).decode("ascii")
    headers = raw.split("\r\n\r\n", 1)[0].split("\r\n")
    names = [line.split(":", 1)[0] for line in headers if line and not line[0].isspace()]
    assert "Bcc" not in names and "Cc" not in names
