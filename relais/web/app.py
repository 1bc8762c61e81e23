"""The Starlette application behind ``PUBLIC_BASE_URL``.

Link scanners and mail security gateways follow every GET in an e-mail, so a
GET never changes anything: it shows a page with a button, and only the POST
acts (RFC 8058 one-click POSTs included). A bad or tampered link gets a clear
French page; no error ever shows a trace.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Route

from relais import identifiers, plugins
from relais.db import get_engine, session_scope
from relais.errors import DomainError
from relais.i18n import t
from relais.newsletter import archive, tokens
from relais.newsletter import services as subscriptions
from relais.newsletter.models import SubscriberStatus
from relais.satisfaction.web import routes as satisfaction_routes
from relais.settings import get_settings
from relais.templating import TEMPLATES_DIR, render_html
from relais.web import feed, guard

log = logging.getLogger(__name__)
ONE_CLICK = b"List-Unsubscribe=One-Click"
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def page(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(render_html(f"web/{template}", **context), status_code, headers=HEADERS)


def notice(kind: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """One of the short French pages of ``templates/web/notice.html``."""
    return page("notice.html", status_code, kind=kind, **context)


def healthz(_request: Request) -> Response:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("select 1"))
    except Exception:
        log.exception(t("logs.health_database"))
        return JSONResponse({"status": "error", "database": "unreachable"}, 503)
    return JSONResponse({"status": "ok"})


def unsubscribe_form(request: Request) -> Response:
    token = request.path_params["token"]
    with session_scope() as session:
        subscriber = subscriptions.from_token(session, "unsubscribe", token)
        if subscriber is None:
            return notice("invalid_link", 404)
        if subscriber.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
            return notice("already_unsubscribed")
        return page("unsubscribe.html", email=subscriber.email, action=request.url.path)


def _unsubscribe(token: str, channel: str) -> Response:
    with session_scope() as session:
        subscriber = subscriptions.from_token(session, "unsubscribe", token)
        if subscriber is None:
            return notice("invalid_link", 404)
        subscriptions.unsubscribe(session, subscriber, channel=channel)
        return notice("unsubscribed", email=subscriber.email)


def _genuine(purpose: tokens.Purpose, token: str) -> bool:
    with session_scope() as session:
        return subscriptions.from_token(session, purpose, token) is not None


async def unsubscribe(request: Request) -> Response:
    """Any POST unsubscribes: the button, or a mail client's RFC 8058 one-click request
    (``List-Unsubscribe=One-Click``, form-encoded or multipart).

    The token is checked before the body is read: a stranger's POST costs no reading."""
    token = request.path_params["token"]
    if not await run_in_threadpool(_genuine, "unsubscribe", token):
        return notice("invalid_link", 404)
    body = await request.body()
    channel = "one-click" if ONE_CLICK in body else "web"
    return await run_in_threadpool(_unsubscribe, token, channel)


def confirm_form(request: Request) -> Response:
    with session_scope() as session:
        subscriber = subscriptions.from_token(session, "confirm", request.path_params["token"])
        if subscriber is None:
            return notice("invalid_link", 404)
        if subscriber.mailable:
            return notice("confirmed", email=subscriber.email)
        return page("confirm.html", email=subscriber.email, action=request.url.path)


def confirm(request: Request) -> Response:
    with session_scope() as session:
        subscriber = subscriptions.from_token(session, "confirm", request.path_params["token"])
        if subscriber is None:
            return notice("invalid_link", 404)
        try:
            subscriptions.confirm_link(session, subscriber)
        except DomainError as error:
            return notice("confirm_refused", 410, reason=error.message)
        return notice("confirmed", email=subscriber.email)


def agenda(_request: Request) -> Response:
    with session_scope() as session:
        body = feed.calendar_feed(session)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=900",
            "Content-Disposition": 'inline; filename="agenda.ics"',
        },
    )


def archive_index(_request: Request) -> Response:
    with session_scope() as session:
        return page("archive_index.html", issues=archive.published(session), suffix="")


def archive_issue(request: Request) -> Response:
    number = identifiers.parse(request.path_params["number"], minimum=1)
    if number is None:
        return notice("issue_not_found", 404)
    with session_scope() as session:
        issue = archive.published_issue(session, number)
        if issue is None:
            return notice("issue_not_found", 404)
        headers = {
            "Cache-Control": "public, max-age=300",
            "Content-Security-Policy": guard.FROZEN_MAIL_POLICY,
        }
        return HTMLResponse(issue.web_html, headers=headers)


#: Stylesheets the pages link to (served from ``templates/``, so a CRPV can restyle them).
STYLESHEETS = {"web.css": "web/web.css", "satisfaction.css": "satisfaction/satisfaction.css"}


def stylesheet(request: Request) -> Response:
    """The pages' CSS as a file: the CSP allows no inline style."""
    name = STYLESHEETS.get(request.path_params["name"])
    if name is None:
        return error_page("not_found", 404)
    css = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


def error_page(kind: str, status_code: int) -> HTMLResponse:
    """The site-wide error pages, in the public site's look (not the newsletter's)."""
    headers = {**HEADERS, "Content-Security-Policy": guard.policy()}
    return HTMLResponse(guard.error_html(kind), status_code, headers=headers)


async def not_found(request: Request, error: Exception) -> Response:
    """404 and 405 pages; an address that answers with its trailing slash added or removed
    is redirected there (see :func:`_slash_twin`)."""
    if isinstance(error, HTTPException) and error.status_code == 405:
        response = error_page("method", 405)
        response.headers["Allow"] = _allowed_methods(request)
        return response
    twin = _slash_twin(request)
    if twin is not None:
        return RedirectResponse(twin, status_code=307)
    return error_page("not_found", 404)


def _routes_matching(request: Request, path: str) -> list[Route]:
    scope = {**request.scope, "path": path}
    routes = request.app.router.routes
    return [r for r in routes if isinstance(r, Route) and r.matches(scope)[0] is not Match.NONE]


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette's own 405 names only the first
    route's, while a page and its form are two routes)."""
    routes = _routes_matching(request, request.scope["path"])
    return ", ".join(sorted({method for route in routes for method in route.methods or ()}))


def _slash_twin(request: Request) -> str | None:
    """Starlette's own redirect of a trailing slash wrote the ``Host`` header into the
    Location, so anyone could make the site redirect to another host: this one is relative,
    and never to an address a browser would read as another host (``//evil.example``)."""
    path: str = request.scope["path"]
    if path == "/" or request.scope.get("endpoint") is not None:
        return None  # a page that answered 404 itself is not a missing address
    twin = path.rstrip("/") if path.endswith("/") else path + "/"
    if not twin.startswith("/") or twin[1:2] in ("/", "\\") or not _routes_matching(request, twin):
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{twin}?{query}" if query else twin


async def server_error(_request: Request, error: Exception) -> Response:
    log.error(t("logs.web_failed", error=type(error).__name__), exc_info=error)
    return error_page("server_error", 500)


def channel_routes() -> list[Route]:
    """Pages that channels add (the public agenda of ``web/``, the back office): the wiring list."""
    return plugins.web_routes()


def routes() -> list[Route]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/static/{name}", stylesheet, methods=["GET"]),
        Route("/desabonnement/{token}", unsubscribe_form, methods=["GET"]),
        Route("/desabonnement/{token}", unsubscribe, methods=["POST"]),
        Route("/confirmation/{token}", confirm_form, methods=["GET"]),
        Route("/confirmation/{token}", confirm, methods=["POST"]),
        Route("/agenda.ics", agenda, methods=["GET"]),
        Route("/lettre/", archive_index, methods=["GET"]),
        Route("/lettre/{number}", archive_issue, methods=["GET"]),
        *satisfaction_routes(),
        *channel_routes(),
    ]


#: Where a file is sent (the back office's subscribers import, an event's Zoom or Teams
#: report): a larger body is allowed. Patterns match the whole path.
UPLOADS = ("/gestion/abonnes/import", "/gestion/evenements/[0-9]+/rapport")


def create_app() -> guard.ASGIApp:
    """The pages, inside the body limit (within Starlette's error handling, so an
    oversized body is a 413 and not a 500) and the security headers (outside it,
    so even the error pages carry them)."""
    settings = get_settings()
    uploads = {path: settings.web_max_upload_bytes for path in UPLOADS}
    limit = Middleware(guard.BodyLimit, max_bytes=settings.web_max_body_bytes, uploads=uploads)
    app = Starlette(
        debug=False,
        routes=routes(),
        middleware=[limit],
        exception_handlers={404: not_found, 405: not_found, 500: server_error},
    )
    app.router.redirect_slashes = False  # done by :func:`not_found`, without the Host header
    return guard.SecurityHeaders(app, https=settings.public_base_url.startswith("https://"))
