"""What every web response and every request body goes through, whatever the page.

Both are plain ASGI middleware around the whole application (see
:func:`relais.web.app.create_app`), so a page added later gets them without
doing anything:

* :class:`BodyLimit` refuses a request whose body is larger than
  ``WEB_MAX_BODY_BYTES``: at once when ``Content-Length`` says so, otherwise
  as soon as the streamed bytes pass the limit (reading stops there). A 400 MB
  POST to an unsubscribe link can no longer make ``relais run`` (which also
  runs the bot and the mailer) swallow 400 MB.
* :class:`SecurityHeaders` adds the Content-Security-Policy (no script at
  all, styles only from our own stylesheet), ``nosniff``, no framing, no
  referrer, and ``Cache-Control: no-store`` unless the page chose otherwise
  (pages show e-mail addresses and survey answers); when the site is served
  over HTTPS (``PUBLIC_BASE_URL``), ``Strict-Transport-Security`` for a year,
  so a browser never again tries plain HTTP, where a network could rewrite it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlparse

from relais.access import links
from relais.settings import get_settings
from relais.templating import french_spacing_html, render_html

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The policy of every page; a page may send its own (the archived newsletter does).
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: The archived newsletter is a frozen copy of the e-mail, whose styles are inlined for mail
#: clients: inline styles are allowed there, scripts still are not.
FROZEN_MAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}
#: Only sent when the site's address is https: over plain HTTP it would mean nothing.
HSTS = (b"strict-transport-security", b"max-age=31536000")


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the streamed body passes the limit."""


def policy() -> str:
    """:data:`POLICY`, letting the CRPV's logo (and only it) load when one is set."""
    logo = get_settings().organisation_logo_url
    if not logo:
        return POLICY
    origin = "{0.scheme}://{0.netloc}".format(urlparse(logo))
    return POLICY.replace("img-src 'self'", f"img-src 'self' {origin}", 1)


def site_context() -> dict[str, object]:
    """What frames every public page, error pages included: the CRPV's name, logo, privacy
    notice and contact, the agenda's calendar addresses, whether a bot is named."""
    settings = get_settings()
    return {
        "organisation": settings.organisation_name,
        "logo_url": settings.organisation_logo_url,
        "privacy_url": settings.privacy_url,
        "contact_email": settings.contact_email,
        "feed_url": links.feed_url(),
        "feed_webcal": links.feed_webcal(),
        "telegram": links.telegram_enabled(),
    }


def error_html(kind: str) -> str:
    """A site-wide error page (``templates/web/error.html``): the public site's look, its
    name, logo and a way back to the agenda, whichever address went wrong."""
    return french_spacing_html(render_html("web/error.html", kind=kind, **site_context()))


def too_large_page() -> bytes:
    return error_html("too_large").encode()


async def _send_too_large(send: Send) -> None:
    body = too_large_page()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"content-security-policy", policy().encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


class BodyLimit:
    """``max_bytes`` for every request; the few upload addresses in ``uploads`` get their own.

    ``uploads`` maps a path pattern (a regular expression matching the whole path,
    such as ``/gestion/evenements/[0-9]+/rapport``) to its limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = [(re.compile(path), limit) for path, limit in (uploads or {}).items()]

    def _limit(self, path: str) -> int:
        return next(
            (limit for pattern, limit in self.uploads if pattern.fullmatch(path)), self.max_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _send_too_large(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_too_large(send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = secured(list(message.get("headers", [])), https=self.https)
            await send(message)

        await self.app(scope, receive, with_headers)


def secured(headers: list[tuple[bytes, bytes]], *, https: bool) -> list[tuple[bytes, bytes]]:
    """The response's headers plus ours; a page's own CSP or Cache-Control is kept."""
    present = {name.lower() for name, _value in headers}
    extra = [(name, value) for name, value in HEADERS.items() if name not in present]
    if https:
        extra.append(HSTS)
    if b"content-security-policy" not in present:
        extra.append((b"content-security-policy", POLICY.encode()))
    if b"cache-control" not in present:
        extra.append((b"cache-control", b"no-store"))
    return headers + extra
