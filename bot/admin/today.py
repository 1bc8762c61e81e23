"""Today's events for the coordinator on site: counts and the check-in link."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.actor import Actor
from bot.admin.common import Result, data, label, page, route
from bot.texts import Reply
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.i18n import t
from relais.roles import services as roles
from relais.roles.services import Action
from relais.settings import get_settings
from relais.timefmt import utcnow


def todays_events(session: Session, actor: Actor) -> list[Event]:
    zone = get_settings().tz
    day = utcnow().astimezone(zone).date()
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    found = session.exec(
        select(Event)
        .where(
            col(Event.starts_at) < start + timedelta(days=1),
            col(Event.ends_at) > start,
            Event.status == EventStatus.PUBLISHED,
        )
        .order_by(col(Event.starts_at))
    ).all()
    allowed = roles.visible_network_ids(session, actor.telegram_id)
    return [
        e for e in found
        if allowed is None or (e.id is not None and set(events.network_ids(session, e.id)) & allowed)
    ]  # fmt: skip


@route("today", Action.MENU)
def today(session: Session, actor: Actor, args: list[str]) -> Result:
    found = todays_events(session, actor)
    username = get_settings().telegram_bot_username
    items = [
        (
            event,
            events.counts(session, event.id or 0),
            f"https://t.me/{username}?start=p_{event.code}",
        )
        for event in found
    ]
    rows = [
        [
            (event.title[:40], data("ev", event.id)),
            (t("bot.presence.buttons.attendance"), f"pl:{event.id}:0"),
        ]
        for event in found
    ]
    rows.append([(label("back"), data("menu"))])
    return [Reply(page("today.html", items=items), rows)]
