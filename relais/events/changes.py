"""Turning what a coordinator typed to change an event into checked field values.

The command line and the bot both edit through here, so they refuse the same
things with the same French sentences as event creation (the values are
validated by :class:`relais.events.schemas.EventInput`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from relais import identifiers
from relais.errors import InvalidInput
from relais.events.models import Event, EventStatus
from relais.events.schemas import EventInput, describe_errors
from relais.reference import services as reference

UNLIMITED = ("0", "illimite", "illimité", "aucune", "sans limite")


@dataclass
class Edit:
    """Typed values, ``None`` meaning « unchanged »."""

    title: str | None = None
    start: str | None = None
    end: str | None = None
    duration_minutes: int | None = None
    format: str | None = None
    theme: str | None = None
    venue: str | None = None
    visio_url: str | None = None
    capacity: str | None = None
    deadline: str | None = None
    description: str | None = None
    registrations_open: bool | None = None


def parse_capacity(text: str) -> int | None:
    """« 30 » → 30; « 0 », « illimité » → no limit."""
    clean = text.strip().lower()
    if clean in UNLIMITED:
        return None
    capacity = identifiers.parse(clean, minimum=1, maximum=100_000)
    if capacity is None:
        raise InvalidInput("admin_bad_capacity", value=text[:20])
    return capacity


def _validated(event: Event, edit: Edit) -> EventInput:
    length: timedelta = event.ends_at - event.starts_at
    values: dict[str, Any] = {
        "title": edit.title if edit.title is not None else event.title,
        "starts_at": edit.start if edit.start is not None else event.starts_at,
        "format": edit.format if edit.format is not None else event.format,
        "description": edit.description if edit.description is not None else event.description,
        "venue": edit.venue if edit.venue is not None else event.venue,
        "visio_url": edit.visio_url if edit.visio_url is not None else event.visio_url,
        "registration_deadline": (
            (edit.deadline or None) if edit.deadline is not None else event.registration_deadline
        ),
    }
    if edit.end is not None:
        values["ends_at"] = edit.end
    elif edit.duration_minutes is not None:
        values["duration_minutes"] = edit.duration_minutes
    elif edit.start is None:
        values["ends_at"] = event.ends_at
    try:
        data = EventInput(**values)
    except ValidationError as error:
        reasons = "; ".join(describe_errors(error))
        raise InvalidInput("admin_invalid_fields", reasons=reasons) from None
    if edit.start is not None and edit.end is None and edit.duration_minutes is None:
        data.ends_at = data.starts_at + length
    return data


def changes_for(session: Session, event: Event, edit: Edit) -> dict[str, Any]:
    """The fields to give :func:`relais.events.services.update`, only those that differ."""
    if event.status == EventStatus.CANCELLED:
        raise InvalidInput("event_is_cancelled")
    data = _validated(event, edit)
    wanted: dict[str, Any] = {
        "title": data.title,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "format": data.format,
        "description": data.description,
        "venue": data.venue,
        "visio_url": data.visio_url,
        "registration_deadline": data.registration_deadline,
    }
    if edit.capacity is not None:
        wanted["capacity"] = parse_capacity(edit.capacity)
    if edit.theme is not None:
        wanted["theme_id"] = reference.theme_named(session, edit.theme).id
    if edit.registrations_open is not None:
        wanted["registrations_open"] = edit.registrations_open
    return {field: value for field, value in wanted.items() if getattr(event, field) != value}
