"""What people read, kept as files: a wording change is a reviewed diff (UPDATE_GOLDEN=1)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlmodel import Session

from mailer import kinds
from mailer.models import EventResource, OutboxMessage
from mailer.outbox import renderer_for
from relais.events.models import EventFormat
from tests.conftest import assert_golden
from tests.factories import make_event, make_person
from tests.mail.conftest import part_of

CASES: dict[str, dict[str, Any]] = {
    kinds.REGISTERED: {},
    kinds.WAITLISTED: {"position": 3},
    kinds.PROMOTED: {},
    kinds.REGISTRATION_CANCELLED: {"was_confirmed": True},
    kinds.EVENT_CHANGED: {"changes": ["ends_at", "starts_at", "visio_url"], "confirmed": True},
    kinds.EVENT_CANCELLED: {"confirmed": True},
    kinds.REMINDER: {"when_relative": "demain"},
    kinds.THANKS: {"survey_link": "https://relais.example/satisfaction/abc.def"},
}


def compare(name: str, actual: str) -> None:
    # « Mes inscriptions » links carry their expiry: the golden file shows where one stands.
    actual = re.sub(r"/mes-inscriptions/[A-Za-z0-9._-]+", "/mes-inscriptions/<lien>", actual)
    assert_golden(f"mail/{name}", actual)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_rendered_mail_matches_golden(session: Session, kind: str) -> None:
    event = make_event(
        session, title="Webinaire : la médiation sociale en QPV",
        starts_at=datetime(2030, 4, 9, 7, 30, tzinfo=UTC), duration_minutes=150,
        format=EventFormat.DISTANCIEL, visio_url="https://visio.exemple.fr/mediation",
    )  # fmt: skip
    event.code = "med30"
    event.cancel_reason = "Intervenante indisponible."
    session.add(event)
    session.add(EventResource(event_id=event.id or 0, title="Diaporama",
                              url="https://crpv.example/diaporama.pdf"))  # fmt: skip
    person = make_person(session, first_name="Amina", last_name="Benali",
                         email="amina.benali@exemple.fr")  # fmt: skip
    row = OutboxMessage(
        id=1, kind=kind, to_address="amina.benali@exemple.fr", idempotency_key="golden",
        message_id="<golden@crpv.example>", person_id=person.id,
        payload={"event_id": event.id, **CASES[kind]},
    )  # fmt: skip
    rendered = renderer_for(kind)(session, row)
    message = email.message_from_bytes(rendered.as_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text = part_of(message, "text/plain").get_content().replace("\r\n", "\n")
    compare(f"{kind}.txt", f"Subject: {message['Subject']}\n\n{text}")
    compare(f"{kind}.html", part_of(message, "text/html").get_content().replace("\r\n", "\n"))
