"""Signing in to the back office, for any browser channel: a mailed link or Telegram's login.

* A link is asked for by typing an address. If the address has a role, a
  row is written and the link is mailed; if not, nothing happens. The page
  answers the same either way, so nobody learns which addresses have a role.
* A link is signed (HMAC of its nonce, address and expiry), expires after
  ``SIGNIN_LINK_MINUTES`` and works once: its row records when it was used.
* A session is a row; the browser keeps its id signed in a cookie. Signing
  out ends the row, so a copied cookie dies with it. The role is not kept in
  the session: every request reads it again (see ``relais.roles.services``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta

from sqlmodel import Session, select

from relais import audit, signals
from relais.keys.services import signing_key
from relais.roles import services as roles
from relais.settings import get_settings
from relais.signin.models import SignInLink, StaffSession
from relais.timefmt import utcnow

_LINK = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$")
_COOKIE = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$")
TELEGRAM_FIELDS = ("id", "first_name", "last_name", "username", "photo_url", "auth_date")


class Expired(Exception):
    """A genuine link too old or already used: the page offers to ask for a new one."""


def _mac(*parts: str) -> str:
    message = ":".join(parts).encode()
    digest = hmac.new(signing_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def _nonce() -> str:
    return secrets.token_urlsafe(16)[:22]


def link_validity() -> timedelta:
    return timedelta(minutes=get_settings().signin_link_minutes)


def request_link(session: Session, email: str) -> None:
    """Mail a sign-in link if ``email`` (already normalised) has a role; else do nothing."""
    if roles.grant_of_email(session, email) is None:
        return
    nonce = _nonce()
    expires = utcnow() + link_validity()
    session.add(SignInLink(nonce=nonce, email=email, expires_at=expires))
    session.flush()
    token = f"{nonce}.{_mac('signin', nonce, email)}"
    url = f"{get_settings().public_base_url}/gestion/connexion/{token}"
    signals.emit(session, signals.SignInLinkRequested(email=email, url=url))


def use_link(session: Session, token: str) -> str | None:
    """The principal a genuine, fresh, unused link signs in (the link is then spent).

    None for a forged or unknown link; :class:`Expired` for a genuine one that is
    too old, already used, or whose address lost its role meanwhile.
    """
    match = _LINK.fullmatch(token)
    if match is None:
        return None
    nonce, mac = match.groups()
    row = session.exec(
        select(SignInLink).where(SignInLink.nonce == nonce).with_for_update()
    ).first()
    if row is None or not hmac.compare_digest(mac, _mac("signin", nonce, row.email)):
        return None
    if row.used_at is not None or row.expires_at <= utcnow():
        raise Expired
    row.used_at = utcnow()
    session.add(row)
    session.flush()
    if roles.grant_of_email(session, row.email) is None:
        raise Expired
    return roles.principal_of_email(row.email)


def link_is_live(session: Session, token: str) -> bool:
    """Whether the page behind a link should offer its button (nothing is spent)."""
    match = _LINK.fullmatch(token)
    if match is None:
        return False
    row = session.get(SignInLink, match.group(1))
    return (
        row is not None
        and hmac.compare_digest(match.group(2), _mac("signin", row.nonce, row.email))
        and row.used_at is None
        and row.expires_at > utcnow()
    )


def telegram_principal(data: Mapping[str, str]) -> str | None:
    """The principal of a genuine Telegram Login Widget answer, or None.

    Telegram signs the fields it sends (sorted ``key=value`` lines) with
    HMAC-SHA256 under SHA256(bot token); an answer older than the link
    validity is refused too, so a copied URL cannot be replayed for long.
    """
    token = get_settings().telegram_bot_token
    received = data.get("hash", "")
    if not token or not re.fullmatch(r"[0-9a-f]{64}", received):
        return None
    fields = {k: v for k, v in data.items() if k in TELEGRAM_FIELDS}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(received, expected):
        return None
    auth_date = fields.get("auth_date", "")
    if not auth_date.isdigit() or int(auth_date) < (utcnow() - link_validity()).timestamp():
        return None
    identity = fields.get("id", "")
    return roles.principal_of_telegram(int(identity)) if identity.isdigit() else None


def open_session(session: Session, principal: str) -> str:
    """A new session for ``principal``; returns the cookie value (id and its MAC)."""
    hours = get_settings().signin_session_hours
    row = StaffSession(
        id=_nonce(), principal=principal, expires_at=utcnow() + timedelta(hours=hours)
    )
    session.add(row)
    session.flush()
    audit.record(session, principal[:80], "signin.opened", "staff_session", None)
    return f"{row.id}.{_mac('staff', row.id)}"


def _row(session: Session, cookie: str) -> StaffSession | None:
    match = _COOKIE.fullmatch(cookie)
    if match is None or not hmac.compare_digest(match.group(2), _mac("staff", match.group(1))):
        return None
    row = session.get(StaffSession, match.group(1))
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    return row


def principal_of(session: Session, cookie: str) -> str | None:
    """Who a session cookie signs in, while it is live; None otherwise."""
    row = _row(session, cookie)
    return row.principal if row is not None else None


def close_session(session: Session, cookie: str) -> None:
    """Sign out: the row ends, so the same cookie (or a copy) no longer works."""
    row = _row(session, cookie)
    if row is None:
        return
    row.ended_at = utcnow()
    session.add(row)
    audit.record(session, row.principal[:80], "signin.closed", "staff_session", None)
