"""The survey page linked from the follow-up e-mail.

GET only shows the form (link scanners follow GETs); POST records the
answer. The signed token in the address says who answers for which session.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from relais.db import session_scope
from relais.errors import DomainError
from relais.events import visibility
from relais.events.models import Event
from relais.events.visibility import Viewer
from relais.satisfaction import services, tokens
from relais.templating import render_html

CHANNEL = "web"


def _page(
    token: str, *, rating: int | None, comment: str, error: str = "", status: int = 200
) -> HTMLResponse:
    with session_scope() as session:
        event_id, person_id = tokens.resolve(session, token)
        event = visibility.event_by_id(session, event_id, Viewer(person_id=person_id))
        existing = services.find(session, event_id, person_id)
        if rating is None and existing is not None:
            rating, comment = existing.rating, comment or existing.comment
        html = render_html(
            "satisfaction/form.html", event=event, rating=rating, comment=comment, error=error,
            answered=existing is not None, limit=services.MAX_COMMENT,
        )  # fmt: skip
    return HTMLResponse(html, status_code=status)


def show_form(request: Request) -> HTMLResponse:
    token = request.path_params["token"]
    try:
        note = request.query_params.get("note")
        rating = services.clean_rating(note) if note else None
        return _page(token, rating=rating, comment="")
    except DomainError as error:
        return HTMLResponse(render_html("satisfaction/error.html", error=error.message), 400)


def _check_token(token: str) -> None:
    with session_scope() as session:
        tokens.resolve(session, token)


async def submit(request: Request) -> HTMLResponse:
    """The token is checked before the body is read: a forged link costs no reading."""
    try:
        await run_in_threadpool(_check_token, request.path_params["token"])
    except DomainError as error:
        return HTMLResponse(render_html("satisfaction/error.html", error=error.message), 400)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    rating = form.get("note", [""])[0]
    comment = form.get("commentaire", [""])[0]
    return await run_in_threadpool(_submit, request.path_params["token"], rating, comment)


def _submit(token: str, rating: str, comment: str) -> HTMLResponse:
    try:
        with session_scope() as session:
            event_id, person_id = tokens.resolve(session, token)
            services.answer(session, event_id, person_id, rating, comment, channel=CHANNEL)
            event = session.get(Event, event_id)
            html = render_html("satisfaction/thanks.html", event=event)
        return HTMLResponse(html)
    except DomainError as error:
        try:
            chosen = services.clean_rating(rating)
        except DomainError:
            chosen = None
        try:
            return _page(
                token, rating=chosen, comment=comment[:2000], error=error.message, status=400
            )
        except DomainError:
            return HTMLResponse(render_html("satisfaction/error.html", error=error.message), 400)


def routes() -> list[Route]:
    """Mounted by the web component: ``/satisfaction/<token>``."""
    return [
        Route("/satisfaction/{token}", show_form, methods=["GET"]),
        Route("/satisfaction/{token}", submit, methods=["POST"]),
    ]
