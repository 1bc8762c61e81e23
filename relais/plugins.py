"""Channels plug into the core through the ``relais.plugins`` entry points.

The core never imports ``bot``, ``mailer`` or ``scheduler``: each declares in
``pyproject.toml`` a module exposing any of

* ``subscribe()`` — attach its domain-event handlers (called once per process);
* ``component(settings)`` — what ``relais run`` starts and stops;
* ``doctor(settings)`` — async, its lines of ``relais doctor`` (see :mod:`relais.doctor.checks`).
* ``worker_component(settings)`` — what ``relais worker`` starts: delivery loops only.

Sub-commands of ``relais`` (``relais mail …``) are declared apart, in the
``relais.commands`` entry points, so that a command imports only its own
channel. A second channel (a web form, another messenger) is added the same way.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Protocol

GROUP = "relais.plugins"


class Component(Protocol):
    """Something ``relais run`` keeps alive in its event loop."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Plugin:
    name: str
    module: ModuleType

    def attr(self, name: str) -> Any:
        return getattr(self.module, name, None)


@lru_cache(maxsize=1)
def plugins() -> tuple[Plugin, ...]:
    found = sorted(entry_points(group=GROUP), key=lambda ep: ep.name)
    return tuple(Plugin(ep.name, importlib.import_module(ep.value)) for ep in found)


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
