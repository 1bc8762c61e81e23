"""Reminders and thank-you notes by Telegram too, for people who use the bot.

Queued in the core's chat outbox (``relais.delivery.chat.queue_message``) in the same
transaction that marks the reminder sent, so Telegram's pacing and blocked
users are the bot's business, and a reminder goes out once on each channel.
"""

from __future__ import annotations

from sqlmodel import Session

from mailer.kinds import resources
from mailer.models import Reminder, ReminderKind
from mailer.reminders import when_relative
from relais.access import links
from relais.delivery.chat import queue_message
from relais.events.models import Event
from relais.events.services import place_label
from relais.people.models import Person
from relais.registrations.models import Registration
from relais.templating import render_html
from relais.timefmt import format_range, utcnow


def send_by_telegram(
    session: Session, reminder: Reminder, registration: Registration, event: Event, person: Person
) -> None:
    if person.telegram_id is None or person.telegram_blocked:
        return
    assert event.id is not None
    if reminder.kind == ReminderKind.THANKS:
        text = render_html(
            "mail/telegram_thanks.html", event=event, survey_link=links.survey_link(event),
            resources=resources(session, event.id),
        )  # fmt: skip
    else:
        text = render_html(
            "mail/telegram_reminder.html", event=event,
            when=format_range(event.starts_at, event.ends_at),
            when_relative=when_relative(event.starts_at, utcnow()),
            place=event.venue or place_label(event), link=event.visio_url,
        )  # fmt: skip
    queue_message(
        session,
        person_id=person.id,
        text_html=text.strip(),
        idempotency_key=f"mail:reminder:{reminder.id}:{reminder.due_at.isoformat()}",
    )
