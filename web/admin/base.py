"""What every back-office page shares: the session cookie, the role check, rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from relais import audit
from relais.db import read_scope, session_scope
from relais.errors import DomainError, NotFound
from relais.roles import services as roles
from relais.roles.models import Role
from relais.roles.services import Action, Grant, PermissionDenied
from relais.settings import get_settings
from relais.signin import services as signin
from relais.templating import render_html, render_text
from web import guard
from web.guard import Csrf
from web.pages import MAX_FORM_BYTES

COOKIE = "relais_gestion"
LOGIN = "/gestion/connexion"
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


@dataclass(frozen=True)
class Staff:
    """The signed-in coordinator of this request, with the role read in its transaction."""

    principal: str
    grant: Grant

    @property
    def name(self) -> str:
        kind, _, value = self.principal.partition(":")
        return value if kind == "email" else f"Telegram {value}"

    @property
    def actor(self) -> str:
        """The author of the changes in the audit log."""
        return self.principal[:80]

    @property
    def is_admin(self) -> bool:
        return self.grant.role == Role.ADMINISTRATOR


def page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    """``templates/web/admin/<template>`` with the branding, the CSRF token and who is signed in."""
    settings = get_settings()
    csrf = Csrf.of(request)
    context.setdefault("staff", None)
    html = render_html(
        f"web/admin/{template}",
        organisation=settings.organisation_name,
        csrf=csrf.token,
        path=request.url.path,
        **context,
    )
    return csrf.attach(HTMLResponse(html, status_code, headers=HEADERS))


def notice(request: Request, kind: str, status_code: int, **context: object) -> Response:
    return page(request, "notice.html", status_code, kind=kind, **context)


def cookie_of(request: Request) -> str:
    return request.cookies.get(COOKIE, "")[:100]


Work = Callable[[Session, Staff], Response]


def run(request: Request, work: Work, *, write: bool = False) -> Response:
    """Sign-in and role check, then ``work``, in one transaction (rolled back on refusal).

    No session: to the sign-in page. A refusal reads the same whatever the
    reason (no role, another network's event, no such event for a limited
    coordinator), so it reveals nothing.
    """
    principal = None
    try:
        with (session_scope if write else read_scope)() as session:
            cookie = cookie_of(request)
            principal = signin.principal_of(session, cookie) if cookie else None
            if principal is None:
                return RedirectResponse(LOGIN, status_code=303)
            grant = roles.require_principal(session, principal, Action.MENU)
            return work(session, Staff(principal, grant))
    except PermissionDenied:
        if principal is not None:
            _record_denied(principal, request)
        return notice(request, "forbidden", 403)
    except NotFound:
        return notice(request, "not_found", 404)
    except DomainError as error:
        return notice(request, "refused", 409, reason=error.message)


def _record_denied(principal: str, request: Request) -> None:
    with session_scope() as session:
        audit.record(
            session, principal[:80], "admin.denied", "web", None,
            attempted=f"{request.method} {request.url.path}"[:200],
        )  # fmt: skip


def view(work: Callable[[Request, Session, Staff], Response]) -> Callable[[Request], Response]:
    """A GET page: reads only."""

    def endpoint(request: Request) -> Response:
        return run(request, lambda session, staff: work(request, session, staff))

    return endpoint


@dataclass(frozen=True)
class Form:
    """A url-encoded form where a name may repeat (checkboxes): the last value, or all."""

    pairs: list[tuple[str, str]]

    def get(self, name: str, default: str = "") -> str:
        found = [value for key, value in self.pairs if key == name]
        return found[-1][:10_000] if found else default

    def getlist(self, name: str) -> list[str]:
        return [value[:200] for key, value in self.pairs if key == name][:5000]


async def read_form(request: Request) -> Form:
    """The body, cut at the public forms' limit (the body limit applies before)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            break
    text = body[:MAX_FORM_BYTES].decode("utf-8", errors="replace")
    return Form(parse_qsl(text, keep_blank_values=True))


FormWork = Callable[[Request, Session, Staff, Form], Response]


def action(work: FormWork) -> Callable[[Request], object]:
    """A POST: the CSRF token first, then the work in a writing transaction."""

    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        if not guard.csrf_valid(request, form.get(guard.FIELD)):
            return notice(request, "csrf", 403)
        return await run_in_threadpool(
            run, request, lambda session, staff: work(request, session, staff, form), write=True
        )

    return endpoint


def require_event(session: Session, staff: Staff, action_name: Action, event_id: int) -> None:
    """The bot's check for an event, for this coordinator, in this transaction."""
    roles.require_principal_event(session, staff.principal, action_name, event_id)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


_css: dict[str, bytes] = {}


def stylesheet(_request: Request) -> Response:
    """The back office's own styles (tables, navigation), on top of the public ones."""
    colour = get_settings().organisation_colour
    if colour not in _css:
        _css[colour] = render_text("web/admin/gestion.css", colour=colour).encode()
    return Response(
        _css[colour],
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def sentence(message: str) -> str:
    """A core message as a sentence beside a field: capital first, full stop last."""
    text = message[:1].upper() + message[1:]
    return text if text.endswith(".") else text + "."
