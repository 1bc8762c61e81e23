"""``relais run`` and ``relais worker``: migrate, then keep components alive in one loop.

``relais run`` starts every plugin's ``component``; ``relais worker`` only the
delivery loops (each plugin's ``worker_component``: the mail dispatcher, the
Telegram outbox sender), so several processes can share the outboxes.
Stops cleanly on SIGTERM or Ctrl-C: components are stopped in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from relais.db import get_engine
from relais.i18n import has, t
from relais.keys import services as keys
from relais.migrate import upgrade
from relais.plugins import Component, plugins, subscribe_all
from relais.settings import Settings

log = logging.getLogger("relais")


def started_line(name: str) -> str:
    """The operator's log line for a started component (« envoi des e-mails démarré »)."""
    key = f"logs.started.{name}"
    return t(key) if has(key) else t("logs.started_other", name=name)


RUN = "component"
WORKER = "worker_component"
#: How long a thread may keep the GIL while another waits for it (Python's default: 5 ms).
#: A database writer gives the GIL up at each SQLite call and, holding the SQLite write
#: turn meanwhile, waited up to that long to get it back from a thread rendering a page:
#: a burst of registrations went a quarter slower (``bench/web_bench.py``).
SWITCH_INTERVAL_SECONDS = 0.0005


def build_components(settings: Settings, kind: str = RUN) -> list[Component]:
    """The components of ``relais run`` (``RUN``) or of ``relais worker`` (``WORKER``)."""
    components: list[Component] = []
    for plugin in plugins():
        factory = plugin.attr(kind)
        if factory is not None:
            component = factory(settings)
            if component is not None:
                components.append(component)
    return components


def announce_signing_key() -> None:
    """Create the key now (not at the first link) and say where it comes from, never what it is."""
    keys.signing_key()
    log.info(t(f"settings.key_from_{keys.source().value}"))


async def serve(settings: Settings, stop: asyncio.Event | None = None, kind: str = RUN) -> None:
    """Run until ``stop`` is set or a termination signal arrives."""
    stop = stop or asyncio.Event()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    upgrade(get_engine())
    announce_signing_key()
    subscribe_all()
    started: list[Component] = []
    try:
        for component in build_components(settings, kind):
            await component.start()
            started.append(component)
            log.info(started_line(component.name))
        await stop.wait()
    finally:
        for component in reversed(started):
            try:
                await component.stop()
            except Exception:
                log.exception(t("logs.stop_failed", name=component.name))
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
