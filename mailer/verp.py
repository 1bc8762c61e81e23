"""The envelope sender (Return-Path) of outgoing mail, and reading it back from a bounce.

With VERP on, ``rebonds@crpv.fr`` becomes ``rebonds+r42-1a2b3c@crpv.fr`` for outbox
row 42: a bounce then names its message without guessing from its text. The short
signature stops a stranger from forging a bounce that names a row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import parseaddr

from relais.keys.services import signing_key
from relais.settings import Settings

_TAG = re.compile(r"^r(\d{1,12})-([0-9a-f]{6})$")


def bounce_address(settings: Settings) -> str:
    """Where bounces go: ``MAIL_BOUNCE_ADDRESS``, else the sender address."""
    return parseaddr(settings.mail_bounce_address or settings.mail_from)[1] or "relais@localhost"


def _signature(settings: Settings, row_id: int) -> str:
    key = settings.secret_key.encode() if settings.secret_key else signing_key()
    digest = hmac.new(key, f"verp:{row_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:6]


def envelope_sender(settings: Settings, row_id: int) -> str:
    """MAIL FROM of outbox row ``row_id``."""
    address = bounce_address(settings)
    if not settings.mail_bounce_verp:
        return address
    local, _, domain = address.rpartition("@")
    return f"{local}+r{row_id}-{_signature(settings, row_id)}@{domain}"


def row_id_from(settings: Settings, address: str) -> int | None:
    """The outbox row a VERP address names, when it is ours and correctly signed."""
    local, _, domain = parseaddr(address)[1].lower().rpartition("@")
    base_local, _, base_domain = bounce_address(settings).lower().rpartition("@")
    name, _, tag = local.partition("+")
    found = _TAG.match(tag)
    if name != base_local or domain != base_domain or found is None:
        return None
    row_id = int(found.group(1))
    if not hmac.compare_digest(found.group(2), _signature(settings, row_id)):
        return None
    return row_id
