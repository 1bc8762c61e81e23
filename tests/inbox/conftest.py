"""Fixtures of the inbox tests: one Dovecot for the session, a fresh folder per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from relais.plugins import subscribe_all
from relais.settings import get_settings
from tests.inbox.dovecot import Dovecot, start_dovecot

CORPUS = Path(__file__).parent / "corpus"
TRUSTED = "mx.crpv.example"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def plugins_subscribed() -> None:
    subscribe_all()


@pytest.fixture
def folder(dovecot: Dovecot, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A folder of its own for this test, and the settings pointing the reader at it."""
    name = f"T{uuid.uuid4().hex[:10]}"
    for key, value in dovecot.env(name).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("IMAP_TRUSTED_AUTHSERV_ID", TRUSTED)
    monkeypatch.setenv("MAIL_FROM", "CRPV Relais <relais@crpv.example>")
    monkeypatch.setenv("NEWSLETTER_UNSUBSCRIBE_MAILTO", "desabonnement@crpv.example")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://relais.crpv.example")
    get_settings.cache_clear()
    dovecot.append(name)
    return name


def corpus(name: str, **values: object) -> bytes:
    """A corpus message with its ``@@NAME@@`` placeholders filled in, CRLF line ends."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key.upper()}@@", str(value))
    assert "@@" not in text, f"placeholder left in {name}"
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def read_mailbox(**overrides: object):  # type: ignore[no-untyped-def]
    """One pass of the reader over the configured folder, through a real IMAP session."""
    from mailer.inbox.imap import ImapMailbox
    from mailer.inbox.process import InboxReader

    settings = get_settings().model_copy(update=overrides)
    mailbox = ImapMailbox(settings)
    mailbox.connect()
    try:
        return InboxReader(settings).run_pass(mailbox)
    finally:
        mailbox.close()
