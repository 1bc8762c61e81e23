"""What stands at the door of the public forms: CSRF tokens, rate limits, a honeypot.

CSRF is a signed double submit: a random cookie, and in each form an HMAC of
it under the signing key. A page of another site can make the browser send
the cookie but cannot read it, so it cannot compute the form's token.

Rate limits are counted in memory per process (one ``relais run`` serves
the site), per client IP and per e-mail address, over a sliding hour.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from relais.keys.services import signing_key
from relais.settings import get_settings

COOKIE = "relais_csrf"
FIELD = "csrf"
HONEYPOT = "site_web"
WINDOW_SECONDS = 3600.0


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


def csrf_valid(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(submitted.encode(), _sign(cookie).encode())


@dataclass
class RateLimiter:
    """At most ``limit()`` hits per key over the last hour (a sliding window)."""

    setting: str
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def limit(self) -> int:
        return int(getattr(get_settings(), self.setting))

    def allow(self, key: str) -> bool:
        """Count a hit for ``key``; False when it is over the limit (the hit is not kept)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.limit():
                return False
            hits.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


per_ip = RateLimiter("web_rate_per_ip")
per_email = RateLimiter("web_rate_per_email")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def allowed(request: Request, email: str | None) -> bool:
    """Both limits at once: this IP, and this address when one was typed."""
    if not per_ip.allow(client_ip(request)):
        return False
    return email is None or per_email.allow(email.strip().lower())


def is_bot(form: dict[str, str]) -> bool:
    """The honeypot: a field hidden from people that only robots fill in."""
    return bool(form.get(HONEYPOT, "").strip())
