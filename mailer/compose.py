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

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from typing import Any, Literal

import css_inline

from relais.i18n import t
from relais.settings import get_settings
from relais.templating import render_html, render_text
from relais.timefmt import utcnow


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    return _inliner().inline(html)


def render_parts(template: str, **context: Any) -> tuple[str, str]:
    """The text and the CSS-inlined HTML of ``templates/mail/<template>.{txt,html}``."""
    settings = get_settings()
    context.setdefault("organisation", settings.organisation_name)
    text = render_text(f"mail/{template}.txt", **context)
    html = inline_css(render_html(f"mail/{template}.html", **context))
    return text, html


def subject(key: str, **context: Any) -> str:
    """A subject line from ``templates/messages/mail.yaml`` (``mail.subjects.<key>``)."""
    return t(f"mail.subjects.{key}", **context)


def message(
    *,
    subject: str,
    text: str,
    html: str,
    calendar: bytes | None = None,
    method: Literal["REQUEST", "CANCEL"] = "REQUEST",
    transactional: bool = True,
) -> EmailMessage:
    """A message with its body; the dispatcher adds From, To, Message-ID and Date."""
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = subject
    if transactional:
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(text, cte="quoted-printable")
    mail.add_alternative(html, subtype="html", cte="quoted-printable")
    if calendar is not None:
        mail.add_alternative(
            calendar.decode("utf-8"), subtype="calendar", params={"method": method}, cte="base64"
        )
        mail.add_attachment(
            calendar,
            maintype="application",
            subtype="ics",
            filename="invitation.ics",
            params={"method": method},
        )
    return mail


def address_headers(mail: EmailMessage, *, to: str, message_id: str) -> EmailMessage:
    """The envelope-facing headers every outgoing message needs (Gmail's sender rules)."""
    settings = get_settings()
    for name in ("From", "To", "Message-ID", "Date", "Reply-To"):
        del mail[name]
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Message-ID"] = message_id
    mail["Date"] = format_datetime(utcnow())
    if settings.mail_reply_to:
        mail["Reply-To"] = settings.mail_reply_to
    return mail
