"""Creating and editing a cycle (sessions registered to together) from the browser.

As in the bot, a cycle is a title, its sessions' dates and what they share
(format, place, seats, networks…); each session becomes an event named
« Titre – séance N » through :class:`relais.events.schemas.EventInput`, so
the dates are read and refused as the command line and the bot do, with the
French sentence beside the field. Each session is then edited, cancelled or
marked like any event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers
from relais.errors import DomainError
from relais.events import listing
from relais.events import services as events
from relais.events.models import Event, EventFormat, EventStatus, Series
from relais.events.schemas import EventInput
from relais.i18n import t
from relais.networks.models import Network
from relais.reference.models import Profile, Theme
from relais.roles import services as roles
from relais.roles.services import Action
from relais.timefmt import parse_local, utcnow
from web.admin.base import Form, Staff, page, redirect, require_event, sentence
from web.admin.event_form import _errors as field_errors
from web.admin.event_form import _named, formats
from web.admin.pages import networks_of

SHARED_FIELDS = ("modalite", "thematique", "lieu", "lien", "places", "date_limite")
TEXT_FIELDS = ("titre", "description", "seances", "duree", *SHARED_FIELDS)


def _dates(typed: str) -> tuple[list[datetime], str | None]:
    """One session a line, « 14/03/2027 09:30 »; every bad line named in one sentence."""
    found: list[datetime] = []
    problems: list[str] = []
    lines = [(n, line.strip()) for n, line in enumerate(typed.splitlines()[:60], 1) if line.strip()]
    for number, text in lines:
        try:
            moment = parse_local(text[:40])
        except ValueError:
            reason = t("errors.bad_datetime", value=text[:40])
        else:
            if moment <= utcnow():
                reason = t("errors.admin_date_past", value=text[:40])
            elif moment in found:
                problems.append(t("errors.series_same_date", line=number, value=text[:40]))
                continue
            else:
                found.append(moment)
                continue
        problems.append(t("errors.series_bad_date", line=number, reason=reason))
    if not lines:
        return [], t("errors.series_no_dates")
    return sorted(found), " ; ".join(problems) or None


def _duration(typed: str) -> int | None:
    number = identifiers.parse(typed.strip() or "120")
    return number if number is not None and 15 <= number <= 60 * 24 * 5 else None


def _common(form: Form, title: str, draft: bool, networks: list[str]) -> dict[str, Any]:
    values = {name: form.get(name).strip() for name in SHARED_FIELDS}
    return {
        "format": values["modalite"] or EventFormat.PRESENTIEL.value,
        "theme": values["thematique"] or None, "venue": values["lieu"],
        "visio_url": values["lien"], "capacity": values["places"] or None,
        "registration_deadline": values["date_limite"] or None, "networks": networks,
        "description": form.get("description").strip(), "status": "draft" if draft else "published",
        "title": title,
    }  # fmt: skip


def session_inputs(
    title: str, dates: list[datetime], minutes: int, common: dict[str, Any], first: int = 1
) -> list[EventInput]:
    """Each session as the core validates it (raises ValidationError)."""
    return [
        EventInput(
            **{**common, "title": t("admin.bot.session_title", title=title, number=number)},
            starts_at=start,
            duration_minutes=minutes,
        )
        for number, start in enumerate(dates, start=first)
    ]


def _checked(
    form: Form, title: str, draft: bool, networks: list[str], first: int = 1
) -> tuple[list[EventInput], dict[str, str]]:
    """The sessions, or the errors beside the fields (dates, duration, shared fields)."""
    errors: dict[str, str] = {}
    dates, problem = _dates(form.get("seances"))
    if problem:
        errors["seances"] = sentence(problem)
    minutes = _duration(form.get("duree"))
    if minutes is None:
        errors["duree"] = sentence(t("errors.series_bad_duration", value=form.get("duree")[:20]))
    if not 3 <= len(" ".join(title.split())) <= 200:
        errors["titre"] = sentence(t("errors.series_bad_title"))
    probe = dates[:1] or [utcnow() + timedelta(days=3650)]
    try:
        session_inputs("Cycle", probe, minutes or 120, _common(form, "Cycle", draft, networks))
    except ValidationError as error:
        errors = {**field_errors(error), **errors}
    if errors or minutes is None:
        return [], errors
    common = _common(form, title, draft, networks)
    return session_inputs(" ".join(title.split()), dates, minutes, common, first), {}


def _form_page(
    request: Request, session: Session, staff: Staff, values: dict[str, Any],
    errors: dict[str, str], series: Series | None = None, sessions: list[Event] | None = None,
) -> Response:  # fmt: skip
    themes = session.exec(select(Theme.name).where(col(Theme.active)).order_by(col(Theme.name)))
    return page(
        request, "cycle_form.html", 422 if errors else 200, staff=staff, values=values,
        errors=errors, series=series, sessions=sessions or [], formats=formats(),
        themes=list(themes), networks=networks_of(session, staff),
    )  # fmt: skip


def new_form(request: Request, session: Session, staff: Staff) -> Response:
    values: dict[str, Any] = {"modalite": EventFormat.PRESENTIEL.value, "reseaux": [],
                              "duree": "120"}  # fmt: skip
    return _form_page(request, session, staff, values, {})


def create(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """The cycle and all its sessions in one transaction, or nothing and the errors."""
    chosen = form.getlist("reseaux")
    values: dict[str, Any] = {name: form.get(name) for name in TEXT_FIELDS}
    values["reseaux"] = chosen
    values["brouillon"] = form.get("brouillon") == "oui"
    allowed = {n.code: n.id for n in networks_of(session, staff)}
    title = form.get("titre")
    inputs, errors = _checked(form, title, values["brouillon"], chosen)
    if any(code not in allowed for code in chosen) or (
        staff.grant.networks is not None and not chosen
    ):
        errors["reseaux"] = _named("networks", t("errors.admin_network_required"))
    if errors:
        return _form_page(request, session, staff, values, errors)
    for code in chosen:
        roles.require_principal(session, staff.principal, Action.EVENT_CREATE, allowed[code])
    series, _created = events.create_series(
        session, " ".join(title.split()), inputs, staff.actor, form.get("description").strip()
    )
    return redirect(f"/gestion/cycles/{series.id}?fait=creation")


def checked_series(
    session: Session, staff: Staff, request: Request, action: Action
) -> tuple[Series, list[Event]]:
    """The cycle of the URL, once the role allows ``action`` on every one of its sessions."""
    number = identifiers.parse(request.path_params["series"])
    roles.require_principal(session, staff.principal, action)
    sessions = events.series_sessions(session, number) if number is not None else []
    if not sessions:
        raise roles.PermissionDenied()
    for event in sessions:
        require_event(session, staff, action, event.id or 0)
    return events.get_series(session, number or 0), sessions


def cycle_page(request: Request, session: Session, staff: Staff) -> Response:
    series, sessions = checked_series(session, staff, request, Action.REGISTRATIONS)
    return page(
        request, "cycle.html", staff=staff, series=series, rows=listing.with_counts(session, sessions),
        done=request.query_params.get("fait", "")[:20],
    )  # fmt: skip


#: What a cycle's edit form changes on every session still to come, by form field.
ALL_SESSIONS = {"lieu": "venue", "lien": "visio_url", "places": "capacity"}


def _to_come(sessions: list[Event]) -> list[Event]:
    now = utcnow()
    return [e for e in sessions if e.starts_at > now and e.status != EventStatus.CANCELLED]


def _shown(sessions: list[Event]) -> dict[str, str]:
    """Place, link and seats as the next session has them: the form starts from these."""
    coming = _to_come(sessions)
    if not coming:
        return {}
    model = coming[0]
    return {"lieu": model.venue, "lien": model.visio_url, "places": str(model.capacity or "")}


def _edit_values(series: Series, sessions: list[Event]) -> dict[str, Any]:
    return {"titre": series.title, "description": series.description, "seances": "",
            "duree": "", **_shown(sessions)}  # fmt: skip


def edit_form(request: Request, session: Session, staff: Staff) -> Response:
    series, sessions = checked_series(session, staff, request, Action.EVENT_EDIT)
    values = _edit_values(series, sessions)
    return _form_page(request, session, staff, values, {}, series, sessions)


def _shared_changes(form: Form, sessions: list[Event]) -> tuple[dict[str, Any], dict[str, str]]:
    """The place, link or seats typed differently from what the form showed, checked as the
    core checks an event; only those are applied, so a session changed on its own keeps
    whatever the coordinator did not touch here."""
    shown = _shown(sessions)
    sent = {name for name, _value in form.pairs}
    typed = {name: form.get(name, shown.get(name, "")).strip() for name in shown}
    touched = [name for name in shown if name in sent and typed[name] != shown[name]]
    if not touched:
        return {}, {}
    model = _to_come(sessions)[0]
    try:
        data = EventInput(
            title="Cycle", starts_at=model.starts_at, ends_at=model.ends_at, format=model.format,
            venue=typed["lieu"], visio_url=typed["lien"], capacity=typed["places"] or None,
        )  # fmt: skip
    except ValidationError as error:
        errors = field_errors(error)
        return {}, {name: text for name, text in errors.items() if name in touched} or errors
    return {ALL_SESSIONS[name]: getattr(data, ALL_SESSIONS[name]) for name in touched}, {}


def save(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """A new title or presentation, a new place, link or seats for every session to come
    (their people get the updated invitation); the dates typed become new sessions like
    the last one."""
    series, sessions = checked_series(session, staff, request, Action.EVENT_EDIT)
    assert series.id is not None
    names = ("titre", "description", "seances", *ALL_SESSIONS)
    values: dict[str, Any] = {name: form.get(name) for name in names}
    title = " ".join(form.get("titre").split())
    changes, errors = _shared_changes(form, sessions)
    if not 3 <= len(title) <= 200:
        errors["titre"] = sentence(t("errors.series_bad_title"))
    added: list[EventInput] = []
    if form.get("seances").strip():
        added, problems = _more_sessions(session, form, title, sessions)
        added = [data.model_copy(update=changes) for data in added]
        errors = {**problems, **errors}
    if errors:
        return _form_page(request, session, staff, values, errors, series, sessions)
    try:
        with session.begin_nested():
            events.update_series(session, series.id, title, form.get("description").strip(),
                                 staff.actor)  # fmt: skip
            for event in _to_come(sessions) if changes else []:
                events.update(session, event.id or 0, changes, staff.actor)
            if added:
                events.add_series_sessions(session, series.id, added, staff.actor)
    except DomainError as error:
        failed = {"titre": sentence(error.message)}
        return _form_page(request, session, staff, values, failed, series, sessions)
    return redirect(f"/gestion/cycles/{series.id}?fait=modification")


def _more_sessions(
    session: Session, form: Form, title: str, sessions: list[Event]
) -> tuple[list[EventInput], dict[str, str]]:
    """New dates for the cycle, with the format, place, seats and networks of its last session."""
    model = sessions[-1]
    assert model.id is not None
    theme = session.get(Theme, model.theme_id) if model.theme_id else None
    codes = [
        code for code in session.exec(
            select(Network.code).where(col(Network.id).in_(events.network_ids(session, model.id))))
    ]  # fmt: skip
    shared = Form([
        ("modalite", model.format.value), ("thematique", theme.name if theme else ""),
        ("lieu", model.venue), ("lien", model.visio_url), ("places", str(model.capacity or "")),
        ("description", model.description), ("seances", form.get("seances")),
        ("duree", str(int((model.ends_at - model.starts_at).total_seconds() // 60))),
    ])  # fmt: skip
    draft = model.status == EventStatus.DRAFT
    inputs, errors = _checked(shared, title, draft, codes, first=len(sessions) + 1)
    # the title is checked by the caller; anything else wrong is about the new dates
    problems = {name: text for name, text in errors.items() if name != "titre"}
    first_problem = problems.get("seances") or next(iter(problems.values()), "")
    if first_problem:
        return [], {"seances": first_problem}
    return [_like(session, model, data) for data in inputs], {}


def _like(session: Session, model: Event, data: EventInput) -> EventInput:
    """A new session with the rules the edit form does not show: audience, members only,
    waiting list, reminders, and the cycle's registration deadline (one for all sessions, as
    when the cycle was created)."""
    assert model.id is not None
    audience = session.exec(
        select(Profile.name).where(
            col(Profile.id).in_(events.audience_profile_ids(session, model.id))
        )
    )
    return data.model_copy(update={
        "audience_profiles": list(audience), "members_only": model.members_only,
        "waitlist_enabled": model.waitlist_enabled, "reminder_offsets": model.reminder_offsets,
        "registration_deadline": model.registration_deadline,
    })  # fmt: skip
