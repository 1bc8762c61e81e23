"""Rendering a public page: the CRPV's branding, the CSRF token, no-store headers."""

from __future__ import annotations

import secrets

import icalendar
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from relais.events.ical import vevent
from relais.events.invitation import organizer
from relais.events.models import Event
from relais.settings import get_settings
from relais.templating import french_spacing_html, render_html, render_text
from relais.web import guard as web_guard
from web.guard import Csrf

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: Where a page rendered for everyone (:mod:`web.pagecache`) takes each visitor's CSRF
#: token: random per process, so no title or description can contain it.
TOKEN_SLOT = f"csrf-slot-{secrets.token_hex(12)}"


def _headers() -> dict[str, str]:
    """The usual headers; with a logo, the policy lets the CRPV's logo (and only it) load."""
    if not get_settings().organisation_logo_url:
        return HEADERS
    return {**HEADERS, "Content-Security-Policy": web_guard.policy()}


def page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    """``templates/web/public/<template>`` with what every page needs."""
    return respond(request, page_html(template, **context), status_code)


def page_html(template: str, **context: object) -> str:
    """A page as anybody sees it, :data:`TOKEN_SLOT` standing for the visitor's CSRF token."""
    html = render_html(
        f"web/public/{template}", **web_guard.site_context(), csrf=TOKEN_SLOT, **context
    )
    return french_spacing_html(html)


def respond(request: Request, html: str, status_code: int = 200) -> Response:
    """The page for this visitor: their CSRF token in its forms, the cookie when new."""
    csrf = Csrf.of(request)
    html = html.replace(TOKEN_SLOT, csrf.token)
    return csrf.attach(HTMLResponse(html, status_code, headers=_headers()))


def notice(request: Request, kind: str, status_code: int = 200, **context: object) -> Response:
    """A short French page of ``notice.html`` (bad link, too many tries…)."""
    return page(request, "notice.html", status_code, kind=kind, **context)


_css: dict[str, bytes] = {}


def stylesheet(_request: Request) -> Response:
    """The one stylesheet, with the CRPV's colour (no inline style: the CSP forbids it)."""
    colour = get_settings().organisation_colour
    if colour not in _css:
        _css[colour] = render_text("web/public/relais.css", colour=colour).encode()
    return Response(
        _css[colour],
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def calendar_file(event: Event) -> Response:
    """One event as an ``.ics`` file to add to one's calendar (PUBLISH: not an invitation,
    so without the visio link, kept for the invitations of registered people).

    RFC 5546 §3.2.1 wants an ORGANIZER in a PUBLISH: the CRPV, as in the invitations.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Relais//Evenement//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    component = vevent(event, with_private_link=False)
    component.add("organizer", organizer())
    calendar.add_component(component)
    return ics_response(event.code, calendar.to_ical())


def ics_response(code: str, content: bytes) -> Response:
    """An ``.ics`` to download, named after the event's code."""
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{code}.ics"',
            "Cache-Control": "no-store",
        },
    )
