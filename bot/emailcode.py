"""Proof that a typed e-mail address is yours, when Relais already knows it.

Without it, typing a colleague's address would link their profile to your
Telegram account: you could read (/mes_donnees) or erase their data. So when
the address belongs to someone not linked to this account, a six-digit code
goes to that address and must be typed back: the bot asks the core for it
(:class:`relais.signals.EmailCodeRequested`), the mail channel sends it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from relais import signals
from relais.keys.services import signing_key
from relais.people import services as people
from relais.timefmt import utcnow

VALIDITY = timedelta(minutes=15)
MAX_TRIES = 5
MAX_CODES = 3


def needs_proof(session: Session, email: str, telegram_id: int) -> bool:
    holder = people.by_email(session, email)
    return holder is not None and holder.erased_at is None and holder.telegram_id != telegram_id


def _digest(code: str, email: str) -> str:
    key = signing_key()
    return hmac.new(key, f"{email}:{code}".encode(), hashlib.sha256).hexdigest()


class TooManyCodes(Exception):
    """Codes are not sent again and again to the same address from one conversation."""


def send_code(session: Session, email: str, data: dict[str, Any]) -> None:
    """Queue the e-mail and keep only a keyed digest of the code in the conversation."""
    sent = data.get("codes_sent", 0)
    if sent >= MAX_CODES:
        raise TooManyCodes
    data["codes_sent"] = sent + 1
    code = f"{secrets.randbelow(1_000_000):06d}"
    data["code_digest"] = _digest(code, email)
    data["code_expires"] = (utcnow() + VALIDITY).isoformat()
    data["code_tries"] = 0
    minutes = int(VALIDITY.total_seconds() // 60)
    signals.emit(session, signals.EmailCodeRequested(email, code, minutes))


class CodeRefused(Exception):
    """Wrong or expired code; ``exhausted`` when a new address must be typed."""

    def __init__(self, exhausted: bool) -> None:
        super().__init__("code refused")
        self.exhausted = exhausted


def check_code(typed: str, email: str, data: dict[str, Any]) -> None:
    data["code_tries"] = int(data.get("code_tries", 0)) + 1
    expired = datetime.fromisoformat(str(data.get("code_expires"))) < utcnow()
    digits = "".join(ch for ch in typed if ch.isdigit())
    if not expired and hmac.compare_digest(_digest(digits, email), str(data.get("code_digest"))):
        for key in ("code_digest", "code_expires", "code_tries"):
            data.pop(key, None)
        return
    raise CodeRefused(expired or data["code_tries"] >= MAX_TRIES)
