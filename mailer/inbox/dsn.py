"""Delivery status notifications (RFC 3464): who bounced, with which code and why.

Postfix, Exim, Exchange / Office 365 and Gmail all send
``multipart/report; report-type=delivery-status`` with a ``message/delivery-status``
part made of header blocks: one for the message, one per recipient. The returned
message (``message/rfc822`` or ``text/rfc822-headers``) tells whether the bounce is
about one of our messages, or about a bounce (a loop).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True)
class Recipient:
    address: str
    action: str
    status: str
    diagnostic: str


@dataclass(frozen=True)
class Report:
    recipients: tuple[Recipient, ...]
    original_message_id: str
    original_is_bounce: bool


def is_dsn(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` part, however it was parsed."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", "replace")
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [email.message_from_string(block + "\n\n") for block in blocks if block.strip()]


def _address(value: object) -> str:
    """``rfc822; someone@example.org`` → ``someone@example.org``."""
    text = str(value or "").strip()
    if ";" in text:
        text = text.split(";", 1)[1]
    return text.strip().strip("<>").strip().lower()


def _recipient(block: Message) -> Recipient | None:
    address = _address(block.get("Final-Recipient")) or _address(block.get("Original-Recipient"))
    if not address or "@" not in address:
        return None
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
    if ";" in diagnostic:
        diagnostic = diagnostic.split(";", 1)[1].strip()
    status = str(block.get("Status", "")).strip()
    found = _STATUS.search(status) or _STATUS.search(diagnostic)
    return Recipient(
        address=address,
        action=str(block.get("Action", "failed")).strip().lower(),
        status=found.group(1) if found else "",
        diagnostic=diagnostic[:1000],
    )


def _original(message: Message) -> Message | None:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if kind == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                return email.message_from_bytes(raw + b"\r\n\r\n", policy=email.policy.compat32)
    return None


def looks_like_bounce(message: Message) -> bool:
    """A DSN, or a message from a mailer daemon: never answered, never bounced back."""
    sender = str(message.get("From", "")).lower()
    return is_dsn(message) or "mailer-daemon" in sender or "postmaster@" in sender


def parse(message: Message) -> Report:
    recipients: list[Recipient] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _blocks(part):
            found = _recipient(block)
            if found is not None:
                recipients.append(found)
    original = _original(message)
    message_id = str(original.get("Message-ID", "")).strip() if original is not None else ""
    loop = original is not None and looks_like_bounce(original)
    return Report(tuple(recipients), message_id, loop)
