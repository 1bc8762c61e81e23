"""The e-mail carrying the code that proves a typed address is yours (the bot's profile step).

The bot asks for it with :class:`relais.signals.EmailCodeRequested`; the mail is
queued in the same transaction and rendered at send time, like every kind.
"""

from __future__ import annotations

import secrets
from email.message import EmailMessage

from sqlmodel import Session

from mailer import compose
from mailer.models import OutboxMessage
from mailer.outbox import enqueue, register_renderer
from relais import signals
from relais.i18n import t
from relais.settings import get_settings
from relais.templating import render_html, render_text

KIND = "bot_email_code"


def on_code_requested(session: Session, requested: signals.EmailCodeRequested) -> None:
    enqueue(
        session,
        kind=KIND,
        to=requested.email,
        idempotency_key=f"{KIND}:{requested.email}:{secrets.token_hex(8)}",
        payload={"code": requested.code, "minutes": requested.minutes},
    )


def render(session: Session, row: OutboxMessage) -> EmailMessage:
    context = {
        "code": row.payload.get("code", ""),
        "organisation": get_settings().organisation_name,
        "minutes": int(row.payload.get("minutes", 15)),
    }
    return compose.message(
        subject=t("bot.email_code_subject", **context),
        text=render_text("bot/email_code.txt", **context),
        html=compose.inline_css(render_html("bot/email_code.html", **context)),
    )


def subscribe() -> None:
    register_renderer(KIND, render)
    signals.on(signals.EmailCodeRequested, on_code_requested)
