"""A real SMTP server (aiosmtpd) on loopback, scriptable per recipient, and mail helpers."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from relais.plugins import subscribe_all


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: keeps what it accepted; ``replies`` refuse chosen recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Accepted"


@pytest.fixture(autouse=True)
def mail_plugin() -> None:
    subscribe_all()


def serve_smtp(monkeypatch: pytest.MonkeyPatch, **settings: str) -> Iterator[SmtpRecorder]:
    """A real aiosmtpd server on loopback, with the settings pointing the dispatcher at it."""
    from relais.settings import get_settings

    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("MAIL_RATE_PER_SECOND", "0")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield recorder
    finally:
        controller.stop()
        get_settings.cache_clear()


@pytest.fixture
def smtp_server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpRecorder]:
    yield from serve_smtp(
        monkeypatch,
        MAIL_REPLY_TO="Équipe CRPV <contact@crpv.example>",
        MAIL_FROM="CRPV Relais <relais@crpv.example>",
    )


def parts(message: EmailMessage) -> list[str]:
    """The MIME tree as indented content types, to compare with the expected structure."""
    lines: list[str] = []

    def walk(part: EmailMessage, depth: int) -> None:
        lines.append("  " * depth + part.get_content_type())
        if part.is_multipart():
            for child in part.iter_parts():
                assert isinstance(child, EmailMessage)
                walk(child, depth + 1)

    walk(message, 0)
    return lines


def part_of(message: EmailMessage, content_type: str) -> EmailMessage:
    for part in message.walk():
        if part.get_content_type() == content_type:
            assert isinstance(part, EmailMessage)
            return part
    raise AssertionError(f"no {content_type} part")
