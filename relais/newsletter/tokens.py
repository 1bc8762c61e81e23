"""Signed per-recipient links (unsubscribe, confirm a subscription).

A token is ``<subscriber id>.<MAC>`` where the MAC is an HMAC-SHA256, keyed
with the installation key (:mod:`relais.keys`), over the purpose, the id and the address. Changing the
id gives a MAC that does not match; the same token checked against another
address does not match either; an unsubscribe token cannot confirm and the
other way round. Nothing is stored: a token is checked by recomputing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Literal

from relais import identifiers
from relais.keys.services import signing_key

Purpose = Literal["unsubscribe", "confirm"]
_SHAPE = re.compile(r"^([0-9]{1,10})\.([A-Za-z0-9_-]{22})$")


def _mac(purpose: Purpose, subscriber_id: int, email: str) -> str:
    message = f"newsletter:{purpose}:{subscriber_id}:{email.lower()}".encode()
    digest = hmac.new(signing_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def make(purpose: Purpose, subscriber_id: int, email: str) -> str:
    return f"{subscriber_id}.{_mac(purpose, subscriber_id, email)}"


def subscriber_id(token: str) -> int | None:
    """The id a well-formed token claims; it still has to be :func:`verify`-ed."""
    match = _SHAPE.fullmatch(token)
    return identifiers.parse(match.group(1), minimum=1) if match else None


def verify(purpose: Purpose, token: str, subscriber_id: int, email: str) -> bool:
    return hmac.compare_digest(token, make(purpose, subscriber_id, email))
