"""The public pages everybody sees alike, kept rendered for a moment.

A newsletter goes out and hundreds of people open the same event page within
a minute: they all get the same HTML but for their CSRF token. So the agenda,
the event pages and the cycle pages are rendered with a placeholder where the
token goes (:data:`web.render.TOKEN_SLOT`), kept ``WEB_PAGE_CACHE_SECONDS``
(2 s by default, 0 turns the cache off), and each visitor gets a copy with
their own token.

Within ``relais run`` a registration, a cancellation, a promotion or a change
of an event drops the pages that show it at once (domain events, after
commit: :func:`subscribe`), so someone who registers by the bot and then
opens the page sees the seat taken. On SQLite a commit by any other process
(a command of the CLI) is seen too, through the file's data version
(:func:`relais.db.data_version`, asked at most every
:data:`VERSION_EVERY_SECONDS`); on PostgreSQL such changes show within the
delay. At most :data:`MAX_PAGES` pages are kept,
the oldest dropped first: the agenda's filters come from the address bar and
anybody can vary them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from relais import db, signals
from relais.settings import Settings, get_settings

MAX_PAGES = 500
#: How often the database's data version is asked: a commit by another process shows
#: on the pages within this delay (asking on every view cost a quarter of the throughput).
VERSION_EVERY_SECONDS = 0.1
#: The tag of pages that show every event (the agenda): any change drops them.
EVERY_EVENT = -1


@dataclass(frozen=True)
class Rendered:
    """A page as every visitor gets it (the token still a placeholder), and what it shows."""

    html: str
    status: int
    event_ids: frozenset[int]


_pages: OrderedDict[Hashable, tuple[float, int | None, Rendered]] = OrderedDict()
_lock = threading.Lock()
#: The settings the kept pages were rendered with (the CRPV's name, logo…): new settings, new pages.
_rendered_with: list[Settings] = []


def fetch(key: Hashable, render: Callable[[], Rendered]) -> Rendered:
    """The page kept under ``key`` if still fresh, else ``render()`` (kept when it is a 200)."""
    settings = get_settings()
    seconds = settings.web_page_cache_seconds
    if seconds <= 0:
        return render()
    now = time.monotonic()
    version = _data_version(now)
    with _lock:
        if not _rendered_with or _rendered_with[0] is not settings:
            _pages.clear()
            _rendered_with[:] = [settings]
        found = _pages.get(key)
        if found is not None and now - found[0] < seconds and found[1] == version:
            return found[2]
    rendered = render()
    if rendered.status == 200:
        with _lock:
            _pages[key] = (now, version, rendered)
            _pages.move_to_end(key)
            while len(_pages) > MAX_PAGES:
                _pages.popitem(last=False)
    return rendered


_version: list[tuple[float, int | None]] = []


def _data_version(now: float) -> int | None:
    """The database's data version as last asked, asked again when older than
    :data:`VERSION_EVERY_SECONDS`."""
    with _lock:
        if _version and now - _version[0][0] < VERSION_EVERY_SECONDS:
            return _version[0][1]
    value = db.data_version()
    with _lock:
        _version[:] = [(now, value)]
    return value


def drop_event(event_id: int) -> None:
    """Forget the pages that show this event, and the agenda."""
    with _lock:
        for key in [k for k, (_, _version, page) in _pages.items() if _shows(page, event_id)]:
            del _pages[key]


def _shows(page: Rendered, event_id: int) -> bool:
    return event_id in page.event_ids or EVERY_EVENT in page.event_ids


def clear() -> None:
    with _lock:
        _pages.clear()
        _version.clear()


def _on_change(event: signals.DomainEvent) -> None:
    """After commit: the event's pages are out of date (seats, time, place, status)."""
    event_id = getattr(event, "event_id", None)
    if isinstance(event_id, int):
        drop_event(event_id)
    else:
        clear()


#: What changes a public page: seats taken or freed, the event changed, published or
#: cancelled, a person erased (their seats freed).
CHANGES: tuple[type[signals.DomainEvent], ...] = (
    signals.Registered, signals.Waitlisted, signals.Promoted, signals.RegistrationCancelled,
    signals.EventChanged, signals.EventPublished, signals.EventCancelled, signals.PersonErased,
)  # fmt: skip


def subscribe() -> None:
    for kind in CHANGES:
        signals.after_commit(kind, _on_change)
