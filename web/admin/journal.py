"""« Journal »: the audit log, filtered by who, what, event and dates, fifty entries a page.

Why coordinators and not only administrators: in a CRPV the coordinators are
the ones asked « who cancelled this meeting? » or « who added this person to
the network? ». A coordinator limited to some networks reads only what
concerns those networks and their own actions (see :mod:`relais.journal`);
entries about people, roles and the newsletter stay with the whole-CRPV staff.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers, journal
from relais.audit import AuditEntry
from relais.errors import NotFound
from relais.events import services as events
from relais.i18n import t
from relais.roles.services import Action
from relais.settings import get_settings
from relais.timefmt import local
from web.admin.base import Staff, page, require_event, sentence

FIELDS = ("qui", "quoi", "evenement", "du", "au")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def _day(raw: str) -> datetime | None:
    """Midnight (local) of a typed day, as UTC; None when unreadable."""
    for pattern in DATE_FORMATS:
        try:
            naive = datetime.strptime(raw.strip(), pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=get_settings().tz).astimezone(UTC)
    return None


def _filters(
    session: Session, staff: Staff, chosen: dict[str, str]
) -> tuple[journal.JournalFilters, dict[str, str]]:
    """The filters typed, and a French sentence beside each field that cannot be read."""
    errors: dict[str, str] = {}
    since = _day(chosen["du"]) if chosen["du"] else None
    until = _day(chosen["au"]) if chosen["au"] else None
    for name, value in (("du", since), ("au", until)):
        if chosen[name] and value is None:
            errors[name] = sentence(t("web_admin.journal_bad_date", value=chosen[name]))
    if since and until and until < since:
        errors["au"] = sentence(t("web_admin.journal_dates_reversed"))
    event_id = _event(session, staff, chosen["evenement"], errors)
    filters = journal.JournalFilters(
        actor=chosen["qui"], action=chosen["quoi"], event_id=event_id, since=since,
        until=until + timedelta(days=1) if until else None,
    )  # fmt: skip
    return filters, errors


def _event(session: Session, staff: Staff, typed: str, errors: dict[str, str]) -> int | None:
    """The event named by code or number, once the role allows reading it."""
    if not typed:
        return None
    try:
        found = events.lookup(session, typed)
    except NotFound:
        errors["evenement"] = sentence(t("web_admin.journal_event_unknown", value=typed))
        return None
    assert found.id is not None
    require_event(session, staff, Action.REGISTRATIONS, found.id)
    return found.id


def journal_page(request: Request, session: Session, staff: Staff) -> Response:
    query = request.query_params
    chosen = {name: query.get(name, "").strip()[:80] for name in FIELDS}
    filters, errors = _filters(session, staff, chosen)
    before = identifiers.parse(query.get("avant", ""), minimum=1)
    entries, more = ([], False) if errors else journal.page(
        session, staff.grant.networks, staff.actor, filters, before
    )  # fmt: skip
    kept = {name: value for name, value in chosen.items() if value}
    return page(
        request, "journal.html", 422 if errors else 200, staff=staff, chosen=chosen,
        errors=errors, lines=[_line(entry) for entry in entries],
        older=urlencode({**kept, "avant": entries[-1].id}) if more and entries else "",
        newest=urlencode(kept) if before else None,
    )  # fmt: skip


def who(actor: str) -> str:
    """« marie@crpv.fr », « Telegram 12345 », or the name a tool writes (« cli »)."""
    kind, _, value = actor.partition(":")
    if kind == "email" and value:
        return value
    if kind == "telegram" and value:
        return f"Telegram {value}"
    return actor


def _line(entry: AuditEntry) -> dict[str, Any]:
    try:
        details = json.loads(entry.details or "{}")
    except ValueError:
        details = {}
    if not isinstance(details, dict):
        details = {"détails": details}
    return {
        "id": entry.id,
        "at": local(entry.at).strftime("%d/%m/%Y %H:%M"),
        "who": who(entry.actor),
        "action": entry.action,
        "target": entry.target_type,
        "target_id": entry.target_id,
        "details": [(str(key), _value(value)) for key, value in details.items()][:12],
    }


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"
