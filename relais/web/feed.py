"""The public calendar of upcoming events (``/agenda.ics``), subscribable with ``webcal://``.

Every event comes from :func:`relais.events.ical.vevent` without its private
link: the feed is public, the visio link is only for registered people.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
from sqlmodel import Session

from relais.events import services as events
from relais.events.ical import vevent
from relais.events.invitation import organizer
from relais.i18n import t
from relais.settings import get_settings

MAX_EVENTS = 500
REFRESH = timedelta(hours=6)


def calendar_feed(session: Session) -> bytes:
    settings = get_settings()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Relais//Agenda public//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = t("newsletter.web.feed_name", organisation=settings.organisation_name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    crpv = organizer()  # RFC 5546 §3.2.1: each VEVENT of a PUBLISH has one
    for event in events.upcoming(session, limit=MAX_EVENTS):
        component = vevent(event, with_private_link=False)
        component.add("organizer", crpv)
        calendar.add_component(component)
    return calendar.to_ical()
