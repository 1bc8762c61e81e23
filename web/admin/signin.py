"""Signing in (by a mailed link, or Telegram's login answer) and out of the back office.

The GET of a mailed link only shows a button: mail scanners follow links,
and would otherwise spend it. The POST spends the link and opens the session.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from relais.db import read_scope, session_scope
from relais.roles import services as roles
from relais.settings import get_settings
from relais.signin import services as signin
from web import forms, guard
from web.admin.base import COOKIE, cookie_of, notice, page, read_form, redirect

HOME = "/gestion/"


#: Telegram's login button is a script and a frame from Telegram: allowed on this page only.
TELEGRAM_WIDGET_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data: https://telegram.org; "
    "script-src https://telegram.org; frame-src https://oauth.telegram.org; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def request_form(request: Request) -> Response:
    return _signin_page(request, values={}, errors={})


def _signin_page(request: Request, status_code: int = 200, **context: object) -> Response:
    """The sign-in page; with ``TELEGRAM_LOGIN_WIDGET``, Telegram's button and its policy."""
    settings = get_settings()
    widget = settings.telegram_login_widget and bool(settings.telegram_bot_username)
    response = page(
        request, "signin.html", status_code,
        telegram_login=settings.telegram_bot_username if widget else "",
        telegram_auth_url=f"{settings.public_base_url.rstrip('/')}/gestion/connexion/telegram",
        **context,
    )  # fmt: skip
    if widget:
        response.headers["Content-Security-Policy"] = TELEGRAM_WIDGET_POLICY
    return response


async def request_link(request: Request) -> Response:
    """Same answer whether or not the address has a role, so nobody can probe addresses."""
    form = await read_form(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD)):
        return notice(request, "csrf", 403)
    email, error = forms.check_email({"email": form.get("email")})
    if error:
        return _signin_page(request, 422, values={"email": email}, errors={"email": error})
    if not await run_in_threadpool(guard.allowed, request, email):
        return notice(request, "too_many", 429)
    if not guard.is_bot({guard.HONEYPOT: form.get(guard.HONEYPOT)}):
        await run_in_threadpool(_send_link, email)
    minutes = get_settings().signin_link_minutes
    return page(request, "signin_sent.html", email=email, minutes=minutes)


def _send_link(email: str) -> None:
    with session_scope() as session:
        signin.request_link(session, email)


def link_form(request: Request) -> Response:
    with read_scope() as session:
        live = signin.link_is_live(session, request.path_params["token"])
    if not live:
        return notice(request, "link_dead", 410)
    return page(request, "signin_confirm.html", action=request.url.path)


async def use_link(request: Request) -> Response:
    form = await read_form(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD)):
        return notice(request, "csrf", 403)
    if not await run_in_threadpool(guard.per_ip.allow, guard.client_ip(request)):
        return notice(request, "too_many", 429)
    return await run_in_threadpool(_use_link, request)


def _use_link(request: Request) -> Response:
    try:
        with session_scope() as session:
            principal = signin.use_link(session, request.path_params["token"])
            if principal is None:
                return notice(request, "link_dead", 410)
            cookie = signin.open_session(session, principal)
    except signin.Expired:
        return notice(request, "link_dead", 410)
    return _signed_in(cookie)


def telegram(request: Request) -> Response:
    """The Telegram Login Widget's redirect (``data-auth-url``): its hash checked with the
    bot token; the account must have a role, checked as for any request."""
    if not guard.per_ip.allow(guard.client_ip(request)):
        return notice(request, "too_many", 429)
    data = {key: value[:300] for key, value in request.query_params.items()}
    principal = signin.telegram_principal(data)
    if principal is None:
        return notice(request, "link_dead", 410)
    with session_scope() as session:
        if roles.grant_of_principal(session, principal) is None:
            return notice(request, "forbidden", 403)
        cookie = signin.open_session(session, principal)
    return _signed_in(cookie)


def _signed_in(cookie: str) -> Response:
    settings = get_settings()
    response = redirect(HOME)
    response.set_cookie(
        COOKIE, cookie, max_age=settings.signin_session_hours * 3600, path="/gestion",
        httponly=True, samesite="lax", secure=settings.public_base_url.startswith("https://"),
    )  # fmt: skip
    return response


async def sign_out(request: Request) -> Response:
    form = await read_form(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD)):
        return notice(request, "csrf", 403)
    cookie = cookie_of(request)
    if cookie:
        await run_in_threadpool(_close, cookie)
    response = page(request, "signed_out.html")
    response.delete_cookie(COOKIE, path="/gestion")
    return response


def _close(cookie: str) -> None:
    with session_scope() as session:
        signin.close_session(session, cookie)
