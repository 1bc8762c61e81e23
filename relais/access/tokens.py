"""Signed, expiring, single-purpose links: no password, no account, nothing stored.

A token is ``<subject>.<expiry>.<MAC>``: the MAC (HMAC-SHA256 under the
signing key) covers the purpose, the subject, the expiry and the person's
address, so a « Mes inscriptions » link cannot confirm a registration, a link
stops working once it expires, and it dies when the address changes or the
person is erased.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import timedelta
from typing import Literal

from relais.keys.services import signing_key
from relais.timefmt import utcnow

Purpose = Literal["manage", "confirm"]
_SHAPE = re.compile(r"^([a-z0-9-]{1,40})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")


def _mac(purpose: Purpose, subject: str, expires: int, email: str) -> str:
    message = f"access:{purpose}:{subject}:{expires}:{email.lower()}".encode()
    digest = hmac.new(signing_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def make(purpose: Purpose, subject: str, email: str, valid_for: timedelta) -> str:
    expires = int((utcnow() + valid_for).timestamp())
    return f"{subject}.{expires}.{_mac(purpose, subject, expires, email)}"


def subject(token: str) -> str | None:
    """What a well-formed token claims; :func:`verify` must still check it."""
    match = _SHAPE.fullmatch(token)
    return match.group(1) if match else None


class Expired(Exception):
    """A genuine link whose time is over: the page offers to send a new one."""


def verify(purpose: Purpose, token: str, email: str) -> bool:
    """True for a genuine, unexpired token; raises :class:`Expired` for a genuine old one."""
    match = _SHAPE.fullmatch(token)
    if match is None:
        return False
    claimed, expires, mac = match.group(1), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(mac, _mac(purpose, claimed, expires, email)):
        return False
    if expires < utcnow().timestamp():
        raise Expired
    return True
