"""What a coordinator gives to create or change an event, validated before anything is written.

Shared by the command line, the YAML/CSV import and the bot, so every channel
refuses the same things with the same French sentences.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from relais.events.models import EventFormat, EventStatus
from relais.events.offsets import parse_offsets
from relais.i18n import has, t, validation_reason
from relais.text import multi_line, single_line
from relais.timefmt import as_utc, parse_local, utcnow

FORMAT_ALIASES = {
    "presentiel": EventFormat.PRESENTIEL, "présentiel": EventFormat.PRESENTIEL,
    "distanciel": EventFormat.DISTANCIEL, "webinaire": EventFormat.DISTANCIEL,
    "visio": EventFormat.DISTANCIEL, "hybride": EventFormat.HYBRIDE,
}  # fmt: skip
FRENCH_BOOLEANS = {"oui": True, "o": True, "non": False, "n": False}
STATUS_ALIASES = {
    "brouillon": EventStatus.DRAFT, "publié": EventStatus.PUBLISHED,
    "publie": EventStatus.PUBLISHED, "annulé": EventStatus.CANCELLED,
}  # fmt: skip


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_local(value)
        except ValueError:
            raise ValueError(t("errors.bad_datetime", value=value[:40])) from None
    if isinstance(value, datetime):
        return as_utc(value) if value.tzinfo else parse_local(value.strftime("%Y-%m-%d %H:%M"))
    return value


class EventInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    title: str = Field(min_length=3, max_length=200)
    starts_at: datetime
    ends_at: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=15, le=60 * 24 * 5)
    format: EventFormat = EventFormat.PRESENTIEL
    theme: str | None = Field(default=None, max_length=120)
    description: str = Field(default="", max_length=10_000)
    venue: str = Field(default="", max_length=300)
    visio_url: str = Field(default="", max_length=500)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    waitlist_enabled: bool = True
    registration_deadline: datetime | None = None
    networks: list[str] = Field(default_factory=list)
    members_only: bool = False
    audience_profiles: list[str] = Field(default_factory=list)
    status: EventStatus = EventStatus.PUBLISHED
    reminder_offsets: str | None = Field(default=None, max_length=100)

    @field_validator("title", "venue", "theme", "visio_url", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        """Titles and places reach e-mail subjects and calendar lines: no line break."""
        return single_line(value) if isinstance(value, str) else value

    @field_validator("description", mode="before")
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        return multi_line(value) if isinstance(value, str) else value

    @field_validator("starts_at", "ends_at", "registration_deadline", mode="before")
    @classmethod
    def _parse_moment(cls, value: Any) -> Any:
        return _moment(value)

    @field_validator("format", mode="before")
    @classmethod
    def _parse_format(cls, value: Any) -> Any:
        if isinstance(value, str):
            found = FORMAT_ALIASES.get(value.strip().lower())
            if found is None:
                raise ValueError(t("errors.bad_format", value=value[:30]))
            return found
        return value

    @field_validator("networks", "audience_profiles", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split("|")
        return [single_line(str(part)) for part in value or [] if single_line(str(part))]

    @field_validator("waitlist_enabled", "members_only", mode="before")
    @classmethod
    def _french_boolean(cls, value: Any) -> Any:
        if isinstance(value, str):
            return FRENCH_BOOLEANS.get(value.strip().lower(), value)
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _french_status(cls, value: Any) -> Any:
        if isinstance(value, str):
            return STATUS_ALIASES.get(value.strip().lower(), value.strip().lower())
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _readable_offsets(cls, value: str | None) -> str | None:
        if value:
            parse_offsets(value)
        return value or None

    @field_validator("visio_url")
    @classmethod
    def _http_link(cls, value: str) -> str:
        if value and (
            urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc
        ):
            raise ValueError(t("errors.bad_url", value=value[:60]))
        return value

    @model_validator(mode="after")
    def _coherent(self) -> EventInput:
        if self.ends_at is None:
            self.ends_at = self.starts_at + timedelta(minutes=self.duration_minutes or 120)
        if self.ends_at <= self.starts_at:
            raise ValueError(t("errors.end_before_start"))
        if self.registration_deadline and self.registration_deadline > self.starts_at:
            raise ValueError(t("errors.deadline_after_start"))
        return self


def future_problem(data: EventInput) -> str | None:
    """Why a new event cannot be created at that date (in the past), or None.

    Kept out of the model's own checks: a move or a test may describe a past
    session, but a coordinator creating or importing one has made a typo.
    """
    if data.starts_at <= utcnow():
        return t("errors.field_error", field=t("fields.starts_at"), reason=t("errors.in_the_past"))
    return None


def describe_errors(error: ValidationError) -> list[str]:
    """pydantic's errors, one French line each, naming the field as a person typed it."""
    return [
        t(
            "errors.field_error",
            field=_field_label(item.get("loc", ())),
            reason=validation_reason(item),
        )
        for item in error.errors()
    ]


def _field_label(location: tuple[object, ...]) -> str:
    """The column name as the French import files and the bot call it."""
    name = str(location[0]) if location else ""
    return t(f"fields.{name}") if has(f"fields.{name}") else (name or t("fields.row"))
