"""Reminder rows: created per offset, recomputed on a move, dropped on cancellation,
sent once when due, and right across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from mailer import kinds
from mailer.models import OutboxMessage, Reminder, ReminderKind, ReminderState
from mailer.reminders import parse_offsets, queue_due
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.events import services as events
from relais.events.models import Event, EventFormat
from relais.registrations import services as registrations
from relais.registrations.models import Registration
from relais.satisfaction.tokens import resolve
from relais.timefmt import utcnow
from tests.factories import make_event, make_person

HOUR, DAY = 60, 24 * 60


def registered(session: Session, event: Event, email: str = "rappel@exemple.fr") -> Registration:
    person = make_person(session, email=email)
    assert event.id and person.id
    registration = registrations.register(session, event.id, person.id, source="t").registration
    session.commit()
    return registration


def rows(session: Session) -> dict[tuple[str, int], Reminder]:
    found = {(r.kind.value, r.offset_minutes): r for r in session.exec(select(Reminder))}
    session.commit()
    return found


def outbox(session: Session) -> list[OutboxMessage]:
    found = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
    session.commit()
    return found


def make_due(session: Session, kind: str, offset: int) -> None:
    """As if time had passed: the reminder is due, the registration older than it."""
    reminder = rows(session)[(kind, offset)]
    reminder.due_at = utcnow() - timedelta(minutes=1)
    session.add(reminder)
    registration = session.get(Registration, reminder.registration_id)
    assert registration is not None
    registration.confirmed_at = utcnow() - timedelta(days=1)
    session.add(registration)
    session.commit()


def test_default_offsets_and_the_webinar_hour(session: Session) -> None:
    webinar = make_event(session, format=EventFormat.DISTANCIEL, visio_url="https://v.exemple.fr/a",
                         starts_at=utcnow() + timedelta(days=10))  # fmt: skip
    registered(session, webinar)
    start = webinar.starts_at
    found = rows(session)
    assert set(found) == {("before", 7 * DAY), ("before", DAY), ("before", HOUR), ("thanks", 60)}
    assert found[("before", HOUR)].due_at == start - timedelta(hours=1)
    assert found[("thanks", 60)].due_at == webinar.ends_at + timedelta(hours=1)


def test_no_reminder_whose_time_has_passed(session: Session) -> None:
    soon = make_event(session, starts_at=utcnow() + timedelta(days=3))
    registered(session, soon)
    assert set(rows(session)) == {("before", DAY), ("thanks", 60)}


def test_seven_days_before_keeps_the_local_time_across_the_spring_change(
    session: Session,
) -> None:
    # Tuesday 2 April 2030, 9:30 in Paris (UTC+2); clocks changed on Sunday 31 March.
    event = make_event(session, starts_at=datetime(2030, 4, 2, 7, 30, tzinfo=UTC))
    registered(session, event)
    found = rows(session)
    # Tuesday 26 March 2030, 9:30 in Paris is 8:30 UTC (UTC+1 before the change).
    assert found[("before", 7 * DAY)].due_at == datetime(2030, 3, 26, 8, 30, tzinfo=UTC)
    assert found[("before", DAY)].due_at == datetime(2030, 4, 1, 7, 30, tzinfo=UTC)


def test_event_offsets_override_the_settings(session: Session) -> None:
    event = make_event(session, reminder_offsets="2j, 3h", starts_at=utcnow() + timedelta(days=9))
    registered(session, event)
    assert set(rows(session)) == {("before", 2 * DAY), ("before", 3 * HOUR), ("thanks", 60)}


def test_offsets_are_read_or_refused_in_french() -> None:
    assert parse_offsets("7d,1j;2h, 30m") == [7 * DAY, DAY, 2 * HOUR, 30]
    with pytest.raises(ValueError, match="rappels « 7 semaines » illisibles"):
        parse_offsets("7 semaines")


def test_moving_the_event_moves_the_reminders(session: Session) -> None:
    event = make_event(session, starts_at=utcnow() + timedelta(days=10))
    registered(session, event)
    assert event.id is not None
    new_start = event.starts_at + timedelta(days=5, hours=2)
    events.move(session, event.id, new_start, "test")
    session.commit()
    found = rows(session)
    assert found[("before", DAY)].due_at == new_start - timedelta(days=1)
    assert found[("before", 7 * DAY)].due_at == new_start - timedelta(days=7)


def test_cancellations_remove_pending_reminders(session: Session) -> None:
    event = make_event(session, starts_at=utcnow() + timedelta(days=10))
    registration = registered(session, event)
    other = make_event(session, starts_at=utcnow() + timedelta(days=10))
    registered(session, other, email="autre@exemple.fr")
    assert registration.id and other.id
    registrations.cancel(session, registration.id, "test")
    events.cancel(session, other.id, "Salle indisponible", "test")
    session.commit()
    assert rows(session) == {}


def test_due_reminder_is_sent_once_by_email(session: Session) -> None:
    event = make_event(session, starts_at=utcnow() + timedelta(days=10))
    registered(session, event)
    make_due(session, "before", 7 * DAY)
    assert queue_due() == 1
    assert queue_due() == 0
    [confirmation, reminder] = outbox(session)
    assert confirmation.kind == kinds.REGISTERED
    assert reminder.kind == kinds.REMINDER
    assert reminder.payload["when_relative"] == "dans 10 jours"
    assert rows(session)[("before", 7 * DAY)].state == ReminderState.SENT


def test_no_reminder_for_a_registration_made_after_its_time(session: Session) -> None:
    event = make_event(session, starts_at=utcnow() + timedelta(days=10))
    registration = registered(session, event)
    make_due(session, "before", 7 * DAY)
    registration.confirmed_at = utcnow()
    session.add(registration)
    session.commit()
    assert queue_due() == 0
    assert rows(session)[("before", 7 * DAY)].state == ReminderState.SKIPPED
    assert [row.kind for row in outbox(session)] == [kinds.REGISTERED]


def test_thank_you_with_survey_link_but_not_to_the_absent(session: Session) -> None:
    event = make_event(session, starts_at=utcnow() + timedelta(days=10))
    present = registered(session, event, "present@exemple.fr")
    absent = registered(session, event, "absent@exemple.fr")
    assert event.id and present.id
    session.add(Attendance(event_id=event.id, person_id=absent.person_id,
                           status=AttendanceStatus.ABSENT, method=AttendanceMethod.CLI))  # fmt: skip
    for reminder in session.exec(select(Reminder).where(Reminder.kind == ReminderKind.THANKS)):
        reminder.due_at = utcnow() - timedelta(minutes=1)
        session.add(reminder)
    for registration in (present, absent):
        registration.confirmed_at = utcnow() - timedelta(days=1)
        session.add(registration)
    session.commit()
    assert queue_due() == 1
    thanks = [row for row in outbox(session) if row.kind == kinds.THANKS]
    assert [row.to_address for row in thanks] == ["present@exemple.fr"]
    link = thanks[0].payload["survey_link"]
    assert link.startswith("http://localhost:8080/satisfaction/")
    token = link.rsplit("/", 1)[1]
    assert resolve(session, token) == (event.id, present.person_id)


def test_people_using_the_bot_also_get_it_by_telegram(session: Session) -> None:
    from bot.models import BotOutboxMessage

    event = make_event(session, title="Rencontre <PRE> & CLAS", format=EventFormat.DISTANCIEL,
                       visio_url="https://v.exemple.fr/b", starts_at=utcnow() + timedelta(days=10))  # fmt: skip
    person = make_person(session, email="bot@exemple.fr", telegram_id=777001)
    mail_only = make_person(session, email="mail@exemple.fr")
    assert event.id and person.id and mail_only.id
    for someone in (person, mail_only):
        assert someone.id is not None
        registrations.register(session, event.id, someone.id, source="t")
    session.commit()
    for reminder in session.exec(select(Reminder)):
        reminder.due_at = utcnow() - timedelta(minutes=1)
        session.add(reminder)
    for registration in session.exec(select(Registration)):
        registration.confirmed_at = utcnow() - timedelta(days=1)
        session.add(registration)
    session.commit()
    assert queue_due() == 8  # 7 d, 1 d, 1 h and thank-you, for two people
    messages = list(session.exec(select(BotOutboxMessage).order_by(col(BotOutboxMessage.id))))
    session.commit()
    assert {message.person_id for message in messages} == {person.id}
    texts = [message.text_html for message in messages]
    assert sum("Rappel : Rencontre &lt;PRE&gt; &amp; CLAS" in text for text in texts) == 3
    assert any("https://v.exemple.fr/b" in text for text in texts)
    [thanks] = [text for text in texts if "Merci" in text]
    assert f"https://t.me/RelaisCRPVBot?start=s_{event.code}" in thanks
    assert queue_due() == 0


def test_bad_offsets_are_refused_for_an_event_and_in_the_settings() -> None:
    from pydantic import ValidationError

    from relais.events.schemas import EventInput, describe_errors
    from relais.settings import SettingsError, load_settings

    with pytest.raises(ValidationError) as refused:
        EventInput(title="Rencontre", starts_at="08/04/2031 09:30", reminder_offsets="2 semaines")
    assert describe_errors(refused.value) == [
        "rappels : rappels « 2 semaines » illisibles ; écrivez par exemple 7j,1j,1h "
        "(j = jours, h = heures, m = minutes)"
    ]
    with pytest.raises(SettingsError, match="REMINDER_OFFSETS"):
        load_settings(reminder_offsets="7x")
