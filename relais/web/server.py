"""The web endpoints as a ``relais run`` component: uvicorn in the shared event loop.

``relais run`` owns SIGTERM and Ctrl-C and stops every component in order,
so the embedded server does not install signal handlers of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn

from relais.i18n import t
from relais.settings import Settings, SettingsError
from relais.web.app import create_app

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(address: tuple[str, int]) -> socket.socket:
    """The listening socket, re-wrapped so that it knows it speaks TCP.

    ``socket.create_server`` leaves the protocol number at 0, and asyncio only
    sets TCP_NODELAY on accepted sockets whose protocol reads as TCP: without
    it, each response written in two pieces waited for the client's delayed
    acknowledgement, 40 ms on Linux. Wrapping the descriptor again reads the
    real protocol from the kernel.
    """
    return socket.socket(fileno=socket.create_server(address).detach())


class WebServer:
    name = "web"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = settings.web_port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = uvicorn.Config(
            create_app(),
            log_level="warning",
            lifespan="off",
            access_log=False,
            server_header=False,
            proxy_headers=True,
        )
        address = (self.settings.web_host, self.settings.web_port)
        try:
            listener = _listen(address)
        except OSError as error:
            raise SettingsError(
                t(
                    "newsletter.web.port_unavailable",
                    host=address[0],
                    port=address[1],
                    reason=error.strerror,
                )
            ) from None
        self.port = listener.getsockname()[1]
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]))
        while not self._server.started:
            if self._task.done():
                await self._task
            await asyncio.sleep(0.02)
        log.info(t("logs.web_listening", host=self.settings.web_host, port=self.port))

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = None
        self._task = None
