"""What stands at the door of the public forms: CSRF tokens, rate limits, a honeypot.

CSRF is a signed double submit: a random cookie, and in each form an HMAC of
it under the signing key. A page of another site can make the browser send
the cookie but cannot read it, so it cannot compute the form's token.

Rate limits are counted per client IP (an IPv6 client per /64) and per e-mail
address (as the core normalises it) over a sliding hour, in the database, so
that they hold however many processes serve the site.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from relais.db import session_scope
from relais.errors import InvalidInput
from relais.keys.services import signing_key
from relais.people import services as people
from relais.settings import get_settings
from relais.web import limits

COOKIE = "relais_csrf"
FIELD = "csrf"
HONEYPOT = "site_web"


def _sign(cookie: str) -> str:
    key = signing_key()
    return hmac.new(key, f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Csrf:
    """The request's CSRF cookie (new if it had none) and the token its forms carry."""

    cookie: str
    is_new: bool

    @classmethod
    def of(cls, request: Request) -> Csrf:
        cookie = request.cookies.get(COOKIE, "")
        if 20 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum():
            return cls(cookie, False)
        return cls(secrets.token_urlsafe(24), True)

    @property
    def token(self) -> str:
        return _sign(self.cookie)

    def attach(self, response: Response) -> Response:
        if self.is_new:
            secure = get_settings().public_base_url.startswith("https://")
            response.set_cookie(
                COOKIE, self.cookie, httponly=True, samesite="lax", secure=secure, path="/"
            )
        return response


def has_csrf_cookie(request: Request) -> bool:
    """Without the cookie no token can be right: a POST may be refused before its body is read."""
    return bool(request.cookies.get(COOKIE, ""))


def csrf_valid(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(submitted.encode(), _sign(cookie).encode())


@dataclass(frozen=True)
class RateLimiter:
    """At most ``limit()`` hits per key over the last hour, counted in the database so
    that every process serving the site shares them (:mod:`relais.web.limits`)."""

    setting: str
    scope: str

    def limit(self) -> int:
        return int(getattr(get_settings(), self.setting))

    def check(self, key: str) -> limits.Check:
        return limits.Check(self.scope, key, self.limit())

    def allow(self, key: str) -> bool:
        """Count a hit for ``key``; False when it is over the limit (the hit is not kept)."""
        return _passes([self.check(key)])


per_ip = RateLimiter("web_rate_per_ip", "ip")
per_email = RateLimiter("web_rate_per_email", "email")


def _passes(checks: list[limits.Check]) -> bool:
    """One transaction for all the checks: a refusal keeps none of its hits."""
    try:
        with session_scope() as session:
            limits.count(session, checks)
    except limits.Exceeded:
        return False
    return True


def client_ip(request: Request) -> str:
    """The key of the client's address: an IPv6 client by its /64, the block one line or
    one host gets, so that rotating the addresses inside it gives no new allowance."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address), 64), strict=False))
    return host


def allowed(request: Request, email: str | None) -> bool:
    """Both limits at once: this IP, and this address when one was typed.

    It reads and writes the database: call it from a worker thread, not the event loop."""
    return _passes(_checks(request, email))


def count(session: Session, request: Request, email: str | None) -> None:
    """:func:`allowed` in the caller's transaction (raises ``limits.Exceeded``): a form
    that writes anyway counts its hits in its own transaction, not in one more."""
    limits.count(session, _checks(request, email))


def _checks(request: Request, email: str | None) -> list[limits.Check]:
    checks = [per_ip.check(client_ip(request))]
    if email is not None:
        checks.append(per_email.check(address_key(email)))
    return checks


def address_key(email: str) -> str:
    """What an address is counted under: the address as the core keeps it, so that
    ``nadia@ｅxemple.fr`` or ``nadia@exemple。fr`` (one mailbox for the mail server)
    counts as ``nadia@exemple.fr``; text the core refuses, lower-cased as typed. A
    ``+tag`` reaches the same mailbox at most providers: it is left out of the count."""
    try:
        address = people.normalize_email(email)
    except InvalidInput:
        address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}" if at and local else address


def is_bot(form: dict[str, str]) -> bool:
    """The honeypot: a field hidden from people that only robots fill in."""
    return bool(form.get(HONEYPOT, "").strip())
