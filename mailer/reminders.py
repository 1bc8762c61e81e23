"""Reminder and thank-you rows: one per registration and offset, recomputed when an event moves.

Like Indico's reminders, the whole sending side is one query and a loop
(:func:`queue_due`): each due row becomes an outbox e-mail (and a Telegram
message for people who use the bot) in the same transaction that marks it sent.
Offsets in whole days keep the local wall-clock time across a daylight-saving
change (« 7 jours avant, 9 h 30 » stays 9 h 30); hours and minutes are exact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from mailer import kinds
from mailer.models import Reminder, ReminderKind, ReminderState
from mailer.notify import mail_address
from mailer.outbox import enqueue
from relais import db, signals
from relais.attendance.models import Attendance, AttendanceStatus
from relais.db import session_scope
from relais.events.models import Event, EventFormat, EventStatus
from relais.events.offsets import DAY, parse_offsets
from relais.i18n import t
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.satisfaction import tokens
from relais.settings import get_settings
from relais.timefmt import as_utc, local, utcnow

log = logging.getLogger(__name__)

#: The thank-you goes this long after the end (offset_minutes of THANKS rows).
THANKS_AFTER_MINUTES = 60
#: What a due reminder does besides the e-mail (the bot adds its Telegram message here).
ReminderChannel = Callable[[Session, Reminder, Registration, Event, Person], None]
_channels: list[ReminderChannel] = []


def add_channel(channel: ReminderChannel) -> None:
    if channel not in _channels:
        _channels.append(channel)


def offsets_for(event: Event) -> list[int]:
    """The event's own offsets, else the settings' (plus the webinar ones when there is a link)."""
    settings = get_settings()
    if event.reminder_offsets:
        try:
            return parse_offsets(event.reminder_offsets)
        except ValueError:
            log.warning(t("logs.reminder_offsets", id=event.id))
    offsets = set(parse_offsets(settings.reminder_offsets))
    if event.visio_url and event.format != EventFormat.PRESENTIEL:
        offsets |= set(parse_offsets(settings.reminder_webinar_offsets))
    return sorted(offsets, reverse=True)


def due_time(start: datetime, offset_minutes: int) -> datetime:
    if offset_minutes % DAY == 0:
        wall = local(start).replace(tzinfo=None) - timedelta(days=offset_minutes // DAY)
        return as_utc(wall.replace(tzinfo=local(start).tzinfo))
    return as_utc(start) - timedelta(minutes=offset_minutes)


def wanted(event: Event) -> dict[tuple[ReminderKind, int], datetime]:
    rows = {(ReminderKind.BEFORE, m): due_time(event.starts_at, m) for m in offsets_for(event)}
    thanks_at = as_utc(event.ends_at) + timedelta(minutes=THANKS_AFTER_MINUTES)
    rows[(ReminderKind.THANKS, THANKS_AFTER_MINUTES)] = thanks_at
    return rows


_REMINDER = Reminder.__table__  # type: ignore[attr-defined]
_INSERT = _REMINDER.insert()
_ANY = sa.select(_REMINDER.c.id).where(_REMINDER.c.registration_id == sa.bindparam("rid")).limit(1)


def _existing(session: Session, registration_id: int) -> dict[tuple[ReminderKind, int], Reminder]:
    """The registration's rows by (kind, offset); a new registration has none, which a
    query built once tells faster than the ORM (see relais.db.execute)."""
    if db.execute(session, _ANY, {"rid": registration_id}).first() is None:
        return {}
    rows = session.exec(select(Reminder).where(Reminder.registration_id == registration_id))
    return {(row.kind, row.offset_minutes): row for row in rows}


def schedule(session: Session, registration: Registration, event: Event) -> None:
    """Bring a confirmed registration's rows in line with the event as it is now.

    Reminders whose time has already passed are not created: a person who
    registers the day before does not get the « dans 7 jours » one.
    """
    assert registration.id is not None and event.id is not None
    now = utcnow()
    targets = wanted(event)
    existing = _existing(session, registration.id)
    for key, row in existing.items():
        due = targets.get(key)
        if due is None:
            if row.state == ReminderState.PENDING:
                session.delete(row)
            continue
        if due != row.due_at and due > now:
            row.due_at, row.state, row.sent_at = due, ReminderState.PENDING, None
            session.add(row)
    session.flush()
    missing = [
        {"registration_id": registration.id, "event_id": event.id, "kind": kind,
         "offset_minutes": offset, "due_at": due, "state": ReminderState.PENDING}
        for (kind, offset), due in targets.items()
        if (kind, offset) not in existing and due > now
    ]  # fmt: skip
    if missing:  # one INSERT for all of them: every registration comes here
        session.execute(_INSERT, missing)


def unschedule(
    session: Session, *, registration_id: int | None = None, event_id: int | None = None
) -> None:
    statement = delete(Reminder).where(col(Reminder.state) == ReminderState.PENDING)
    if registration_id is not None:
        statement = statement.where(col(Reminder.registration_id) == registration_id)
    if event_id is not None:
        statement = statement.where(col(Reminder.event_id) == event_id)
    session.exec(statement)  # type: ignore[call-overload]


def on_confirmed(session: Session, ev: signals.Registered | signals.Promoted) -> None:
    registration = session.get(Registration, ev.registration_id)
    event = session.get(Event, ev.event_id)
    if registration is not None and event is not None:
        schedule(session, registration, event)


def on_cancelled(session: Session, ev: signals.RegistrationCancelled) -> None:
    unschedule(session, registration_id=ev.registration_id)


def on_event_changed(session: Session, ev: signals.EventChanged) -> None:
    if not {"starts_at", "ends_at", "reminder_offsets", "visio_url", "format"} & ev.changes.keys():
        return
    event = session.get(Event, ev.event_id)
    if event is None:
        return
    for registration in session.exec(
        select(Registration).where(
            Registration.event_id == ev.event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ):
        schedule(session, registration, event)


def on_event_cancelled(session: Session, ev: signals.EventCancelled) -> None:
    unschedule(session, event_id=ev.event_id)


def when_relative(start: datetime, now: datetime) -> str:
    """« demain », « dans 7 jours », « dans une heure », from the actual time left."""
    days = (local(start).date() - local(now).date()).days
    if days >= 1:
        return t("mail.reminder_when.days", days=days)
    left = as_utc(start) - as_utc(now)
    hours = round(left / timedelta(hours=1))
    if hours >= 1:
        return t("mail.reminder_when.hours", hours=hours)
    return t("mail.reminder_when.minutes", minutes=max(1, round(left / timedelta(minutes=1))))


def survey_token(registration_id: int) -> str:
    """``<registration id>.<signature>``: checked by ``relais.satisfaction.tokens.resolve``."""
    return tokens.registration_token(registration_id)


def survey_link(registration_id: int) -> str:
    return f"{get_settings().public_base_url}/satisfaction/{survey_token(registration_id)}"


def _still_wanted(
    session: Session, reminder: Reminder, registration: Registration, event: Event, now: datetime
) -> bool:
    if registration.status != RegistrationStatus.CONFIRMED or event.status != EventStatus.PUBLISHED:
        return False
    if registration.confirmed_at is not None and registration.confirmed_at > reminder.due_at:
        return False
    if reminder.kind == ReminderKind.BEFORE:
        return as_utc(event.starts_at) > now
    absent = session.exec(
        select(Attendance.id).where(
            Attendance.event_id == event.id,
            Attendance.person_id == registration.person_id,
            col(Attendance.status).in_([AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED]),
        )
    ).first()
    return absent is None


def _queue_mail(
    session: Session, reminder: Reminder, registration: Registration, event: Event, now: datetime
) -> None:
    person = session.get(Person, registration.person_id)
    address = mail_address(person)
    if address is None:
        return
    assert registration.id is not None
    if reminder.kind == ReminderKind.THANKS:
        kind, payload = kinds.THANKS, {"survey_link": survey_link(registration.id)}
    else:
        kind, payload = kinds.REMINDER, {"when_relative": when_relative(event.starts_at, now)}
    enqueue(
        session, kind=kind, to=address, idempotency_key=f"reminder:{reminder.id}:{reminder.due_at.isoformat()}",
        person_id=registration.person_id, payload={"event_id": event.id, **payload},
    )  # fmt: skip


def queue_due(limit: int = 500) -> int:
    """Turn every due reminder into messages; returns how many reminders went out."""
    with session_scope() as session:
        now = utcnow()
        due = session.exec(
            select(Reminder, Registration, Event)
            .join(Registration, col(Registration.id) == Reminder.registration_id)
            .join(Event, col(Event.id) == Reminder.event_id)
            .where(Reminder.state == ReminderState.PENDING, col(Reminder.due_at) <= now)
            .order_by(col(Reminder.due_at))
            .limit(limit)
        ).all()
        sent = 0
        for reminder, registration, event in due:
            if not _still_wanted(session, reminder, registration, event, now):
                reminder.state = ReminderState.SKIPPED
            else:
                _queue_mail(session, reminder, registration, event, now)
                person = session.get(Person, registration.person_id)
                if person is not None:
                    for channel in _channels:
                        channel(session, reminder, registration, event, person)
                reminder.state, reminder.sent_at = ReminderState.SENT, now
                sent += 1
            session.add(reminder)
        return sent


def subscribe() -> None:
    signals.on(signals.Registered, on_confirmed)
    signals.on(signals.Promoted, on_confirmed)
    signals.on(signals.RegistrationCancelled, on_cancelled)
    signals.on(signals.EventChanged, on_event_changed)
    signals.on(signals.EventCancelled, on_event_cancelled)
