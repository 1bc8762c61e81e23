"""One router for the bot's buttons: named routes, callback data built and read here only.

Callback data is ``<route name>:<argument>:…`` and Telegram keeps at most 64
bytes of it. :func:`data` builds it from a route's name (data too long is a
programming error, raised at once); :meth:`Router.read`
reads a tap strictly: an unknown name, a wrong number of arguments or an
argument of the wrong kind (identifiers through :mod:`relais.identifiers`) is
a :class:`Stale` button, which the bot answers « bouton expiré ».

The table of routes is built by the bot's setup (:mod:`bot.parts`) from each
area's explicit list; no module adds routes to another's at import time. The
admin tools keep their own ``a.`` namespace, with named routes too
(:mod:`bot.admin.common`), because each of their routes also names the role it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.actor import Actor
from bot.texts import Reply
from relais import identifiers
from relais.events import codes

MAX_DATA = 64
SEPARATOR = ":"

Handler = Callable[[Actor, list[Any]], list[Reply]]
#: Reads one argument of a tap; raises ValueError when it is not of its kind.
Kind = Callable[[str], Any]


class Stale(ValueError):
    """A tap naming no route, or with arguments that do not fit it."""


def number(text: str) -> int:
    """An id, a page, a rating: ASCII digits within the database's range."""
    return identifiers.number(text)


def code(text: str) -> str:
    """An event's or a cycle's public code."""
    if not codes.is_valid(text):
        raise ValueError(text[:20])
    return text


def word(text: str) -> str:
    """A short value of letters and digits (a département code, a choice)."""
    if not text or len(text) > 12 or not text.isascii() or not text.isalnum():
        raise ValueError(text[:20])
    return text


def one_of(*allowed: str) -> Kind:
    def read(text: str) -> str:
        if text not in allowed:
            raise ValueError(text[:20])
        return text

    return read


def optional(kind: Kind) -> Kind:
    """An argument that may be left empty (read as None)."""
    return lambda text: kind(text) if text else None


YES_NO = one_of("y", "n")


@dataclass(frozen=True)
class Route:
    """A button family: its name in callback data, what a tap does, its arguments' kinds."""

    name: str
    handler: Handler
    args: tuple[Kind, ...] = ()


def data(name: str, *args: object) -> str:
    """The callback data of a tap on route ``name`` with ``args`` (None is an empty argument)."""
    built = SEPARATOR.join([name, *("" if arg is None else str(arg) for arg in args)])
    if len(built.encode()) > MAX_DATA:
        raise ValueError(f"callback data over {MAX_DATA} bytes: {built!r}")
    return built


class Router:
    """The bot's routes by name, and the one strict reading of a tap."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes: dict[str, Route] = {}
        for route in routes:
            if route.name in self.routes or SEPARATOR in route.name:
                raise ValueError(f"route name taken or invalid: {route.name}")
            self.routes[route.name] = route

    def read(self, callback_data: str) -> tuple[Route, list[Any]]:
        """The route a tap names and its arguments, read; Stale when anything does not fit."""
        name, *texts = callback_data.split(SEPARATOR)
        route = self.routes.get(name)
        if route is None or len(texts) != len(route.args):
            raise Stale(name[:20])
        try:
            return route, [kind(text) for kind, text in zip(route.args, texts, strict=True)]
        except ValueError:
            raise Stale(name[:20]) from None

    def names(self) -> Sequence[str]:
        return list(self.routes)
