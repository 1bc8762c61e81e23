"""Channels plug into the core through one explicit, ordered list handed to :func:`install`.

The core never imports ``bot``, ``mailer``, ``web`` or ``scheduler``: the
program's start (the ``wiring`` package: the ``relais`` command, ``python -m
relais``, the tests) hands it the list of :class:`Channel`. Each names, as
``"module"`` or ``"module:attribute"`` read only when needed, what it brings:

* ``hooks``: a module exposing any of ``subscribe()`` (attach its domain-event
  handlers, once per process), ``component(settings)`` (what ``relais run``
  starts and stops), ``worker_component(settings)`` (what ``relais worker``
  starts: delivery loops only), async ``doctor(settings)`` (its lines of
  ``relais doctor``, see :mod:`relais.doctor.checks`), ``job_runner()`` (the one
  channel running everyone's periodic jobs, see :class:`relais.delivery.Periodic`);
  importing it imports its tables;
* ``commands``: sub-commands of ``relais`` (``relais mail …``), typer apps
  imported only when one of them runs, so ``relais stats`` loads no Telegram
  or SMTP code;
* ``routes``: functions returning web routes (the public pages, the back office);
* ``panels``: functions ``panel(session)`` adding to the back office's dashboard,
  by the name its template reads them under.

The order of the list is the order components start (and doctor lines show).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any, Protocol


class Component(Protocol):
    """Something ``relais run`` keeps alive in its event loop."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Channel:
    """One entry of the wiring list: a channel's name and where its hooks are."""

    name: str
    hooks: str | None = None
    commands: Mapping[str, str] = field(default_factory=dict)
    routes: tuple[str, ...] = ()
    panels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plugin:
    """A channel's hooks module, imported."""

    name: str
    module: ModuleType

    def attr(self, name: str) -> Any:
        return getattr(self.module, name, None)


class NotWired(RuntimeError):
    """The core was used before the program's start handed it the channels."""


_channels: tuple[Channel, ...] | None = None


def install(channels: Sequence[Channel]) -> None:
    """Take the ordered list of channels (called once by the program's start)."""
    global _channels
    _channels = tuple(channels)
    plugins.cache_clear()


def channels() -> tuple[Channel, ...]:
    if _channels is None:
        raise NotWired("no channel list installed: start from wiring.main() or wiring.install()")
    return _channels


def load(reference: str) -> Any:
    """``"module:attribute"`` (or ``"module"``), imported now."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@lru_cache(maxsize=1)
def plugins() -> tuple[Plugin, ...]:
    """Every channel's hooks module, in the list's order (importing them imports their tables)."""
    return tuple(
        Plugin(channel.name, load(channel.hooks)) for channel in channels() if channel.hooks
    )


def commands() -> dict[str, str]:
    """Sub-command name → ``"module:app"``, not imported."""
    return {name: app for channel in channels() for name, app in channel.commands.items()}


def web_routes() -> list[Any]:
    """The routes the channels add to the web application, in the list's order."""
    return [route for channel in channels() for ref in channel.routes for route in load(ref)()]


def panels() -> list[tuple[str, Any]]:
    """(name, ``panel(session)``) of what channels add to the dashboard, in the list's order."""
    return [(name, load(ref)) for channel in channels() for name, ref in channel.panels.items()]


_subscribed = False


def subscribe_all() -> None:
    """Attach every plugin's handlers to the domain events, once."""
    global _subscribed
    if _subscribed:
        return
    for plugin in plugins():
        subscribe = plugin.attr("subscribe")
        if subscribe is not None:
            subscribe()
    _subscribed = True
