"""Shared helpers for the newsletter tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from tests.bot.conftest import api, bot, bot_settings  # noqa: F401  (the bot fixtures, shared)
from tests.conftest import assert_golden as golden
from tests.mail.conftest import SmtpRecorder, serve_smtp

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The ``relais`` command run in-process against the test database (wide tables)."""
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


def assert_golden(name: str, actual: str) -> None:
    """``tests/golden/newsletter/<name>`` (see :func:`tests.conftest.assert_golden`)."""
    golden(f"newsletter/{name}", actual)


@pytest.fixture
def smtp(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpRecorder]:
    """A real aiosmtpd server on loopback that the dispatcher sends to, without pacing."""
    from relais.plugins import subscribe_all

    subscribe_all()
    yield from serve_smtp(
        monkeypatch,
        MAIL_FROM="CRPV Île-de-France <lettre@crpv.example>",
        PUBLIC_BASE_URL="https://relais.crpv.example",
        NEWSLETTER_UNSUBSCRIBE_MAILTO="desabonnement@crpv.example",
    )


def add_subscribers(
    session: Session, count: int, status: str = "active", start: int = 1
) -> list[int]:
    """``count`` subscribers with invented addresses, consent recorded as an import."""
    from relais.newsletter.models import Subscriber, SubscriberStatus
    from relais.timefmt import utcnow

    rows = [
        Subscriber(
            email=f"abonne{number}@exemple.fr",
            first_name="Camille",
            last_name=f"Abonné{number}",
            status=SubscriberStatus(status),
            consent_channel="import",
            consent_source="import du 01/10/2026",
            consent_at=utcnow(),
        )
        for number in range(start, start + count)
    ]
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows if row.id is not None]
