"""Building MIME messages from the French templates in ``templates/mail/``.

Every kind renders a ``.txt`` and an ``.html`` template; the HTML gets its CSS
inlined (mail clients drop ``<style>``) and the text part is the alternative.
With an invitation, the structure is the one Gmail, Outlook and Apple Mail
recognise (RFC 6047)::

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST; charset=UTF-8
      invitation.ics
"""

from __future__ import annotations

import base64
import binascii
import secrets
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Any, Literal

import css_inline
from jinja2 import Template

from relais.i18n import t
from relais.settings import get_settings
from relais.templating import html_environment, text_environment
from relais.text import single_line
from relais.timefmt import utcnow


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    return _inliner().inline(html)


@lru_cache(maxsize=64)
def _template(name: str, *, html: bool) -> Template:
    """Compiled once per process: Jinja's reload check costs a stat() per render."""
    return (html_environment() if html else text_environment()).get_template(name)


def render_parts(template: str, **context: Any) -> tuple[str, str]:
    """The text and the CSS-inlined HTML of ``templates/mail/<template>.{txt,html}``."""
    settings = get_settings()
    context.setdefault("organisation", settings.organisation_name)
    text = _template(f"mail/{template}.txt", html=False).render(**context)
    html = inline_css(_template(f"mail/{template}.html", html=True).render(**context))
    return text, html


def subject(key: str, **context: Any) -> str:
    """A subject line from ``templates/messages/mail.yaml`` (``mail.subjects.<key>``)."""
    return t(f"mail.subjects.{key}", **context)


def fold_ascii(line: str, linesep: str) -> str:
    """Fold an ASCII header line at spaces, 78 characters a line where possible."""
    folded: list[str] = []
    start = line.find(": ") + 2  # never fold between the name and the value
    while len(line) > 78:
        cut = line.rfind(" ", start, 78)
        if cut <= 0:
            cut = line.find(" ", max(start, 78))
            if cut == -1:
                break
        folded.append(line[:cut])
        line = line[cut:]
        start = 1
    folded.append(line)
    return linesep.join(folded) + linesep


def encode_words(text: str) -> str:
    """RFC 2047 base64 encoded-words (C-speed), never splitting a UTF-8 character."""
    if text.isascii():
        return text
    words: list[str] = []
    chunk = b""
    for character in text:
        encoded = character.encode("utf-8")
        if len(chunk) + len(encoded) > 39:
            words.append(chunk.decode("utf-8"))
            chunk = b""
        chunk += encoded
    words.append(chunk.decode("utf-8"))
    return " ".join(
        "=?utf-8?b?" + base64.b64encode(word.encode("utf-8")).decode("ascii") + "?="
        for word in words
    )


class _OneLinePolicy(Compat32):
    """compat32 that never stores a line break inside a header value.

    Words people type reach the Subject: a CR LF there would start a new header
    (« Bcc: »). Every value is made one line when it is set, whatever set it, and
    again when :func:`_fold` writes it. Cleaning rather than refusing: the
    registrant must still be told, with a subject that reads a little oddly.
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str):
            value = single_line(value)
        return super().header_store_parse(name, value)


CRLF = "\r\n"
POLICY = _OneLinePolicy(linesep=CRLF)
#: Longest line of a quoted-printable body, soft line break included (RFC 2045).
QP_LINE = 76


def quoted_printable(content: str) -> str:
    """UTF-8 text as quoted-printable, encoded by binascii (C) rather than quoprimime."""
    return binascii.b2a_qp(content.encode("utf-8"), istext=True).decode("ascii")


def soft_break(encoded: str) -> str:
    """``encoded`` (quoted-printable) followed by a soft line break, lines kept within 76.

    Quoted-printable pieces joined by soft breaks decode to the joined texts:
    a newsletter's body is encoded once, around the places where each
    recipient's own link goes.
    """
    head, newline, last = encoded.rpartition("\n")
    if len(last) >= QP_LINE:
        cut = 0
        while cut < QP_LINE - 4:  # never inside an "=XX" escape
            cut += 3 if last[cut] == "=" else 1
        head, newline, last = f"{head}{newline}{last[:cut]}=", "\n", last[cut:]
    return f"{head}{newline}{last}=\n"


def _text_part(content: str, subtype: str, *, encoded: bool = False, **params: str) -> Message:
    """A UTF-8 text part in quoted-printable (``encoded``: ``content`` already is)."""
    part = Message(policy=POLICY)
    extra = "".join(f'; {name}="{value}"' for name, value in params.items())
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"{extra}'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(content if encoded else quoted_printable(content))
    return part


def _multipart(subtype: str, parts: list[Message]) -> EmailMessage:
    container = EmailMessage(policy=POLICY)
    # A boundary chosen here spares the generator a regex compiled per message;
    # "=_" never occurs in quoted-printable or base64 bodies.
    container["Content-Type"] = f'multipart/{subtype}; boundary="=_{secrets.token_hex(16)}"'
    container.set_payload(parts)  # type: ignore[arg-type]
    return container


def message(
    *,
    subject: str,
    text: str,
    html: str,
    calendar: bytes | None = None,
    method: Literal["REQUEST", "CANCEL"] = "REQUEST",
    transactional: bool = True,
    encoded: bool = False,
) -> EmailMessage:
    """A message with its body; the dispatcher adds From, To, Message-ID and Date.

    Built with the compat32 policy, whose headers are plain strings: the
    modern header registry parses every header it is given and costs more
    than the rest of the rendering together, at 10,000 messages a run.
    ``encoded``: ``text`` and ``html`` are quoted-printable already.
    """
    parts: list[Message] = [
        _text_part(text, "plain", encoded=encoded),
        _text_part(html, "html", encoded=encoded),
    ]
    if calendar is not None:
        parts.append(_text_part(calendar.decode("utf-8"), "calendar", method=method))
    body = _multipart("alternative", parts)
    if calendar is not None:
        attachment = MIMEApplication(calendar, "ics", policy=POLICY, name="invitation.ics")
        del attachment["MIME-Version"]
        attachment.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        body = _multipart("mixed", [body, attachment])
    body["MIME-Version"] = "1.0"
    body["Subject"] = encode_words(subject)
    if transactional:
        body["Auto-Submitted"] = "auto-generated"
        body["X-Auto-Response-Suppress"] = "All"
    return body


@lru_cache(maxsize=16)
def _address(value: str) -> str:
    """RFC 2047-encode a display name (one encoded-word), never the address itself."""
    return formataddr(parseaddr(value), charset="utf-8")


def address_headers(mail: Message, *, to: str, message_id: str) -> Message:
    """The envelope-facing headers every outgoing message needs (Gmail's sender rules)."""
    settings = get_settings()
    for name in ("From", "To", "Message-ID", "Date", "Reply-To"):
        del mail[name]
    mail["From"] = _address(settings.mail_from)
    mail["To"] = to
    mail["Message-ID"] = message_id
    mail["Date"] = format_datetime(utcnow())
    if settings.mail_reply_to:
        mail["Reply-To"] = _address(settings.mail_reply_to)
    return mail


def to_bytes(mail: Message) -> bytes:
    """The message on the wire (CRLF); messages built here take a direct path.

    Their bodies are already quoted-printable or base64 and their headers
    ASCII, so writing them needs none of the generator's checks; anything
    else (another channel's renderer) goes through ``as_bytes``.
    """
    if mail.policy is not POLICY:
        return mail.as_bytes()
    out: list[str] = []
    _write(mail, out)
    try:
        return "".join(out).encode("ascii")
    except UnicodeEncodeError:
        return mail.as_bytes()


def _fold(name: str, value: Any) -> str:
    """The usual header (short, ASCII, one line) folded here; any other by the policy.

    The policy's folding builds an ``email.header.Header`` per header of every
    part; at 10,000 messages that was most of the serialisation time.
    """
    if isinstance(value, str):
        value = single_line(value)
        if value.isascii():
            return fold_ascii(f"{name}: {value}", CRLF)
    return POLICY.fold(name, value)


def _write(part: Message, out: list[str]) -> None:
    for name, value in part.items():
        out.append(_fold(name, value))
    out.append(CRLF)
    payload = part.get_payload()
    if isinstance(payload, list):
        boundary = part.get_boundary()
        for child in payload:
            out.append(f"--{boundary}{CRLF}")
            _write(child, out)  # type: ignore[arg-type]
            out.append(CRLF)
        out.append(f"--{boundary}--{CRLF}")
    else:
        out.append(str(payload).replace(CRLF, "\n").replace("\n", CRLF))
