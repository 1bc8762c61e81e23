"""The web pages as a channel of the wiring list: the server ``relais run`` starts
(``WEB_PORT=0`` picks a free port), and the domain events after which the pages it
keeps rendered (:mod:`web.pagecache`) are out of date."""

from __future__ import annotations

from relais.settings import Settings
from relais.web.server import WebServer
from web import pagecache

__all__ = ["component", "subscribe"]


def component(settings: Settings) -> WebServer:
    return WebServer(settings)


def subscribe() -> None:
    pagecache.subscribe()
