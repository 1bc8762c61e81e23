"""Today's events for the coordinator on site: counts, the check-in link and its QR code."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import segno
from sqlmodel import Session, col, select

from bot import buttons
from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, data, label, page, say
from bot.admin.menu import checked_event
from bot.texts import Button, Reply, short
from relais.access.links import checkin_link
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.exports.qr import poster_pdf
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


def today(session: Session, actor: Actor, args: list[str]) -> Result:
    found = todays_events(session, actor)
    items = [(event, events.counts(session, event.id or 0), checkin_link(event)) for event in found]
    rows: list[list[Button]] = [
        [
            (short(event.title, 30), data("event", event.id)),
            (label("qr"), data("today_qr", event.id)),
            (t("bot.presence.buttons.attendance"), buttons.data("roster", event.id, 0)),
        ]
        for event in found
    ]
    rows.append([(label("back"), data("menu"))])
    return [Reply(page("today.html", items=items), rows)]


def check_in_qr(session: Session, actor: Actor, args: list[str]) -> Result:
    """The QR code to show on a screen, and the A4 poster to print."""
    event = checked_event(session, actor, Action.MENU, args[0])
    picture = io.BytesIO()
    segno.make(checkin_link(event), error="m").save(picture, kind="png", scale=10, border=4)
    caption = say("qr_caption", title=event.title)
    return [
        Reply(caption, document=(f"{event.code}-emargement.png", picture.getvalue())),
        Reply(say("poster_caption"), document=(f"{event.code}-affiche.pdf", poster_pdf(event))),
    ]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("today", Action.MENU, today),
    AdminRoute("today_qr", Action.MENU, check_in_qr),
)
STEPS: tuple[AdminStep, ...] = ()
