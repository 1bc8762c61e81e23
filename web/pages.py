"""The agenda, the event and cycle pages, and registering from them.

A GET never changes anything; every POST carries the CSRF token, passes the
rate limits and the honeypot, and then goes through the same core services
as the bot (:mod:`relais.access.services`, :mod:`relais.registrations`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from relais.access import links, tokens
from relais.access import services as access
from relais.access.models import PendingRegistration
from relais.access.services import Target
from relais.db import read_scope, session_scope
from relais.errors import DomainError, NotFound
from relais.events import services as events
from relais.events import visibility
from relais.events.models import Event, EventStatus, Series
from relais.people import services as people
from relais.people.models import Person
from relais.web import limits
from web import agenda, choices, forms, guard, pagecache
from web.render import calendar_file, notice, page, page_html, respond

MAX_FORM_BYTES = 32_000
_NONE: frozenset[int] = frozenset()


async def form_data(request: Request) -> dict[str, str]:
    """The url-encoded form (the only kind these pages send); a last value wins.

    Parsed here rather than with python-multipart: no file upload is accepted,
    and an oversized body is cut rather than read whole.
    """
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            break
    text = body[:MAX_FORM_BYTES].decode("utf-8", errors="replace")
    return dict(parse_qsl(text, keep_blank_values=True))


def agenda_page(request: Request) -> Response:
    filters = agenda.Filters.parse(dict(request.query_params))
    return _shown(request, pagecache.fetch(("agenda", filters), lambda: _agenda(filters)))


def _agenda(filters: agenda.Filters) -> pagecache.Rendered:
    with read_scope() as session:
        found = agenda.upcoming_cards(session, filters)
        offered = agenda.choices(session)
        html = page_html(
            "agenda.html", months=agenda.by_month(found), count=len(found), filters=filters,
            choices=offered, filter_names=agenda.FILTERS, active=filters.described(offered),
        )  # fmt: skip
    return pagecache.Rendered(html, 200, frozenset({pagecache.EVERY_EVENT}))


def _shown(request: Request, rendered: pagecache.Rendered) -> Response:
    return respond(request, rendered.html, rendered.status)


def _event(session: Session, code: str) -> Event | None:
    """The event a stranger may see (the one visibility rule), or None."""
    try:
        return visibility.event_by_code(session, code, visibility.ANONYMOUS)
    except NotFound:
        return None


def _form_context(session: Session) -> dict[str, Any]:
    return dict(choices.form_choices(session))


def _closed_reason(session: Session, target: Target) -> str:
    """Why nobody can register now ("" when the form is open); the audience is checked later."""
    try:
        access.check_open(session, target, None)
    except DomainError as error:
        return "" if error.code == "refused.reserved_profile" else error.message
    return ""


def _event_context(session: Session, event: Event) -> dict[str, Any]:
    closed = _closed_reason(session, Target("e", event.id or 0))
    card = agenda.cards(session, [event])[0]
    return {
        "card": card,
        "event": event,
        "waitlist_now": card.full and event.waitlist_enabled,
        "audience": agenda.audience(session, event),
        "members_only": event.members_only,
        "reserved_networks": card.networks,
        "telegram_link": links.event_telegram_link(event),
        "open_now": not closed,
        "closed_reason": closed,
        "cancelled": event.status == EventStatus.CANCELLED,
        **_form_context(session),
    }


def event_page(request: Request) -> Response:
    code = request.path_params["code"]
    return _shown(request, pagecache.fetch(("event", code), lambda: _event_html(code)))


def _event_html(code: str) -> pagecache.Rendered:
    """The event page as every visitor sees it (kept a moment by :mod:`web.pagecache`)."""
    with read_scope() as session:
        event = _event(session, code)
        if event is None:
            return pagecache.Rendered(page_html("notice.html", kind="event_not_found"), 404, _NONE)
        context = _event_context(session, event)
        html = page_html("event.html", **context, values={}, errors={})
        return pagecache.Rendered(html, 200, frozenset({event.id or 0}))


def event_ics(request: Request) -> Response:
    with read_scope() as session:
        event = _event(session, request.path_params["code"])
        if event is None:
            return notice(request, "event_not_found", 404)
        return calendar_file(event)


def _series(session: Session, code: str) -> tuple[Series, list[agenda.Card]] | None:
    try:
        series = visibility.series_by_code(session, code, visibility.ANONYMOUS)
    except NotFound:
        return None
    assert series.id is not None
    sessions = [e for e in events.series_sessions(session, series.id) if visibility.is_public(e)]
    return series, agenda.cards(session, sessions)


def _series_context(session: Session, series: Series, cards: list[agenda.Card]) -> dict[str, Any]:
    closed = _closed_reason(session, Target("s", series.id or 0))
    first = cards[0] if cards else None  # a cycle's sessions share one audience and rule
    return {
        "series": series,
        "cards": cards,
        "waitlist_now": any(c.full and c.event.waitlist_enabled for c in cards),
        "reserved_networks": first.networks if first else [],
        "audience": agenda.audience(session, first.event) if first else [],
        "members_only": bool(first and first.event.members_only),
        "telegram_link": links.series_telegram_link(series),
        "open_now": not closed,
        "closed_reason": closed,
        **_form_context(session),
    }


def series_page(request: Request) -> Response:
    code = request.path_params["code"]
    return _shown(request, pagecache.fetch(("series", code), lambda: _series_html(code)))


def _series_html(code: str) -> pagecache.Rendered:
    with read_scope() as session:
        found = _series(session, code)
        if found is None:
            return pagecache.Rendered(page_html("notice.html", kind="event_not_found"), 404, _NONE)
        context = _series_context(session, *found)
        html = page_html("series.html", **context, values={}, errors={})
        shown = frozenset(card.event.id or 0 for card in found[1])
        return pagecache.Rendered(html, 200, shown)


async def register_event(request: Request) -> Response:
    return await _register(request, "e")


async def register_series(request: Request) -> Response:
    return await _register(request, "s")


async def _register(request: Request, kind: str) -> Response:
    form = await form_data(request)
    code = request.path_params["code"]
    if not guard.csrf_valid(request, form.get(guard.FIELD, "")):
        return await run_in_threadpool(_expired_form, request, kind, code, form)
    return await run_in_threadpool(_register_sync, request, kind, code, form)


def _expired_form(request: Request, kind: str, code: str, form: dict[str, str]) -> Response:
    """A form whose token no longer matches (tab left open overnight, cookie gone): the same
    form again with what was typed, a fresh token, and why, rather than a page that loses
    it all. Nothing is recorded, so this is no more than showing the page."""
    with read_scope() as session:
        wanted = _form_for(session, kind, code)
        if wanted is None:
            return notice(request, "event_not_found", 404)
        values = {name: form.get(name, "")[:400] for name in forms.FIELDS}
        return page(
            request, wanted.template, 403, **wanted.context(),
            values=values, errors={}, expired=True,
        )  # fmt: skip


@dataclass(frozen=True)
class _Form:
    """What a registration form is for: its target, its page, and that page's context."""

    target: Target
    template: str
    title: str
    context: Callable[[], dict[str, Any]]


def _form_for(session: Session, kind: str, code: str) -> _Form | None:
    if kind == "e":
        event = _event(session, code)
        if event is None:
            return None
        return _Form(
            Target("e", event.id or 0), "event.html", event.title,
            lambda: _event_context(session, event),
        )  # fmt: skip
    found = _series(session, code)
    if found is None:
        return None
    series, cards = found
    return _Form(
        Target("s", series.id or 0), "series.html", series.title,
        lambda: _series_context(session, series, cards),
    )  # fmt: skip


def _register_sync(request: Request, kind: str, code: str, form: dict[str, str]) -> Response:
    """The form is read and checked first, then one short write transaction takes the rate
    limits' hits and the registration: writers queue for SQLite's one write turn, so what
    only reads stays out of it. A refusal rolls both back; its hits are counted on their own."""
    email = form.get("email", "")[:254] or None
    with read_scope() as session:
        wanted = _form_for(session, kind, code)
        if wanted is None:
            return notice(request, "event_not_found", 404)
        checked = forms.check_profile(session, form, consent=True)
        waiting = _waiting(session, wanted.target)
        if checked.profile is None:
            if not guard.allowed(request, email):
                return notice(request, "too_many", 429)
            return page(
                request, wanted.template, 422, **wanted.context(),
                values=checked.values, errors=checked.errors,
            )  # fmt: skip
    try:
        with session_scope() as session:
            guard.count(session, request, email)
            if not guard.is_bot(form):
                access.register_by_address(session, wanted.target, checked.profile, channel="web")
    except limits.Exceeded:
        return notice(request, "too_many", 429)
    except DomainError as error:
        guard.allowed(request, email)
        return page(
            request, "refused.html", 409, reason=error.message, title=wanted.title,
            back=f"/{'e' if kind == 'e' else 'c'}/{code}",
        )  # fmt: skip
    return page(request, "check_mail.html", email=checked.profile.email, waiting=waiting)


def _waiting(session: Session, target: Target) -> bool:
    """Whether a registration now would wait (the page says so before the mail comes)."""
    try:
        return bool(access.full_sessions(session, target))
    except DomainError:
        return False


def confirm_form(request: Request) -> Response:
    """The link from the e-mail: a page with a button (link scanners follow GETs)."""
    token = request.path_params["token"]
    with read_scope() as session:
        found = _confirmation(request, session, token)
        if isinstance(found, Response):
            return found
        who, target = found
        if isinstance(who, PendingRegistration) and who.confirmed_at is not None:
            return page(request, "already_confirmed.html")
        try:
            return _confirm_page(request, session, who, target, {})
        except DomainError as error:  # nothing left to register to (cycle emptied, event gone)
            return page(request, "refused.html", 409, reason=error.message, title="", back="")


def _confirm_page(
    request: Request, session: Session, who: Person | PendingRegistration, target: Target,
    errors: dict[str, str],
) -> Response:  # fmt: skip
    """The confirmation button, with what will happen: the profile used, the sessions that
    are full (waiting list), and the type of structure asked once when a known person's
    profile lacks it."""
    ask = isinstance(who, Person) and people.needs_structure_type(who)
    offered = choices.form_choices(session)["structure_type_options"] if ask else []
    full = {e.id for e in access.full_sessions(session, target)}
    typed = _typed(session, who) if isinstance(who, PendingRegistration) else {}
    return page(
        request, "confirm.html", 422 if errors else 200, title=access.title_of(session, target),
        sessions=access.sessions_of(session, target), full=full, action=request.url.path,
        known=isinstance(who, Person), typed=typed, ask_structure_type=ask, errors=errors,
        structure_type_options=offered,
    )  # fmt: skip


def _typed(session: Session, pending: PendingRegistration) -> dict[str, str]:
    """What the form held, shown before it is saved: the owner of the address sees what
    somebody typed in their name and can walk away (« pas vous ? »)."""
    lists = choices.form_choices(session)
    return {
        "name": f"{pending.first_name} {pending.last_name}",
        "organisation": pending.organisation,
        "structure_type": dict(lists["structure_type_options"]).get(
            str(pending.structure_type_id), ""
        ),
        "profile": dict(lists["profile_options"]).get(str(pending.profile_id), ""),
        "departement": dict(lists["departement_options"]).get(pending.departement_code, ""),
        "phone": pending.phone,
    }


def _confirmation(
    request: Request, session: Session, token: str
) -> Response | tuple[Person | PendingRegistration, Target]:
    target = access.target_of(token)
    try:
        who = access.confirming(session, token) if target else None
    except tokens.Expired:
        return notice(request, "expired", 410)
    if who is None or target is None:
        return notice(request, "invalid_link", 404)
    return who, target


async def confirm(request: Request) -> Response:
    form = await form_data(request)
    if not guard.csrf_valid(request, form.get(guard.FIELD, "")):
        return notice(request, "csrf", 403)
    token = request.path_params["token"]
    return await run_in_threadpool(_confirm_sync, request, token, form.get("type_structure", ""))


def _confirm_sync(request: Request, token: str, typed_type: str) -> Response:
    try:
        with session_scope() as session:
            found = _confirmation(request, session, token)
            if isinstance(found, Response):
                return found
            who, target = found
            if isinstance(who, PendingRegistration):
                if who.confirmed_at is not None:
                    return page(request, "already_confirmed.html")
                person, outcomes = access.confirm_pending(session, who, target)
            else:
                error = forms.keep_structure_type(session, who, typed_type)
                if error:
                    return _confirm_page(request, session, who, target, {"type_structure": error})
                assert who.id is not None
                person, outcomes = who, access.register(session, target, who.id, "web")
            title = access.title_of(session, target)
            manage = access.manage_url(person)
            lines = [
                {"title": o.event.title, "event": o.event, "position": o.position} for o in outcomes
            ]
    except DomainError as error:
        return page(request, "refused.html", 409, reason=error.message, title="", back="")
    waiting_only = all(line["position"] for line in lines)
    return page(
        request, "registered.html", title=title, lines=lines, manage_url=manage,
        waiting_only=waiting_only,
    )  # fmt: skip
