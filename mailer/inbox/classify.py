"""What kind of message came back: the decision comes from headers and MIME structure only.

Order matters: a DSN carries ``Auto-Submitted`` too, so bounces are recognised
first; then calendar answers; an auto-reply (« Absence du bureau ») is never
taken for an answer or an unsubscribe request; everything else is for a human.
"""

from __future__ import annotations

import enum
import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from mailer.inbox import dsn, itip
from relais.i18n import t
from relais.settings import Settings


class Kind(enum.StrEnum):
    CALENDAR_REPLY = "calendar_reply"
    BOUNCE = "bounce"
    LOOP = "loop"
    AUTO_REPLY = "auto_reply"
    UNSUBSCRIBE = "unsubscribe"
    HUMAN = "human"
    INVALID = "invalid"


_AUTO_SUBJECT = re.compile(
    r"^\s*(absence du bureau|r[ée]ponse automatique|message automatique|absent|"
    r"out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|auto:|"
    r"vacation|away from)",
    re.IGNORECASE,
)
_UNSUBSCRIBE_WORDS = re.compile(r"d[ée]sabonne|d[ée]sinscri|unsubscribe", re.IGNORECASE)


def header_text(message: Message, name: str) -> str:
    """A header decoded from RFC 2047 words (« =?utf-8?q?…?= ») into one line of text."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        text = str(value)
    return " ".join(text.split())


def sender(message: Message) -> str:
    return parseaddr(str(message.get("From", "")))[1].strip().lower()


def recipients(message: Message) -> set[str]:
    """Every address the message was delivered to, as the headers tell."""
    values = [
        str(value)
        for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
        for value in message.get_all(name) or []
    ]
    return {address.strip().lower() for _name, address in getaddresses(values) if address}


def is_auto_reply(message: Message) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        (auto != "" and not auto.startswith("no"))
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or precedence in ("auto_reply", "junk")
        or bool(_AUTO_SUBJECT.search(header_text(message, "Subject")))
    )


def is_unsubscribe(message: Message, settings: Settings) -> bool:
    """Sent to the ``mailto:`` of List-Unsubscribe; when that address also receives other
    mail (it is the sender's), the subject must ask for it too."""
    mailto = parseaddr(settings.newsletter_unsubscribe_mailto)[1].lower()
    if not mailto or mailto not in recipients(message):
        return False
    shared = {
        parseaddr(settings.mail_from)[1].lower(),
        parseaddr(settings.mail_reply_to)[1].lower(),
    }
    if mailto not in shared:
        return True
    subject = header_text(message, "Subject")
    return subject.strip() == t("newsletter.mail.unsubscribe_subject") or bool(
        _UNSUBSCRIBE_WORDS.search(subject)
    )


def classify(message: Message, settings: Settings) -> Kind:
    if dsn.is_dsn(message):
        return Kind.LOOP if dsn.parse(message).original_is_bounce else Kind.BOUNCE
    if itip.calendar_parts(message) and not is_auto_reply(message):
        return Kind.CALENDAR_REPLY
    if is_auto_reply(message) or dsn.looks_like_bounce(message):
        return Kind.AUTO_REPLY
    if is_unsubscribe(message, settings):
        return Kind.UNSUBSCRIBE
    return Kind.HUMAN
