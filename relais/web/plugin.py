"""The web endpoints as a Relais plugin: ``relais run`` starts them (``WEB_PORT=0`` picks a free port)."""

from __future__ import annotations

from relais.settings import Settings
from relais.web.server import WebServer

__all__ = ["component"]


def component(settings: Settings) -> WebServer:
    return WebServer(settings)
