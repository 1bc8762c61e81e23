"""Reading a calendar answer (iTIP REPLY, RFC 5546) out of a message.

Clients put it in different places: Outlook as the ``text/calendar; method=REPLY``
part of an alternative, Gmail and Thunderbird as an inline part plus an
``invite.ics`` / ``application/ics`` attachment, Apple Calendar as a lone
``text/calendar`` body. Every such part is tried; the first REPLY wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

import icalendar

CALENDAR_TYPES = ("text/calendar", "application/ics")


class UnreadableCalendar(ValueError):
    """A calendar part is present but is not a REPLY Relais can read."""


@dataclass(frozen=True)
class Reply:
    uid: str
    sequence: int
    attendee: str
    partstat: str


def calendar_parts(message: Message) -> list[Message]:
    return [
        part
        for part in message.walk()
        if part.get_content_type() in CALENDAR_TYPES
        or (part.get_filename() or "").lower().endswith(".ics")
    ]


def _text(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        raise UnreadableCalendar("empty calendar part")
    return payload


def parse_reply(data: bytes) -> Reply | None:
    """The REPLY in ``data``; None for another method; raises on what does not parse."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as error:  # icalendar raises ValueError, KeyError, IndexError…
        raise UnreadableCalendar(str(error)[:200]) from None
    if str(calendar.get("METHOD", "")).upper() != "REPLY":
        return None
    events = [c for c in calendar.walk("VEVENT")]
    if not events:
        raise UnreadableCalendar("no VEVENT")
    event = events[0]
    attendees = event.get("ATTENDEE")
    if isinstance(attendees, list):
        if len(attendees) != 1:
            raise UnreadableCalendar("a REPLY names exactly one attendee")
        attendees = attendees[0]
    if attendees is None or not event.get("UID"):
        raise UnreadableCalendar("UID or ATTENDEE missing")
    address = str(attendees)
    if address.lower().startswith("mailto:"):
        address = address[7:]
    partstat = str(attendees.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
    try:
        sequence = int(str(event.get("SEQUENCE", 0)))
    except ValueError:
        raise UnreadableCalendar("SEQUENCE is not a number") from None
    return Reply(str(event.get("UID")), sequence, address.strip().lower(), partstat)


def find_reply(message: Message) -> Reply | None:
    """The first REPLY among the calendar parts; raises when one part is unreadable
    and none is readable (so a broken answer is reported, not taken for a human's mail)."""
    error: UnreadableCalendar | None = None
    for part in calendar_parts(message):
        try:
            reply = parse_reply(_text(part))
        except UnreadableCalendar as failure:
            error = failure
            continue
        if reply is not None:
            return reply
    if error is not None:
        raise error
    return None
