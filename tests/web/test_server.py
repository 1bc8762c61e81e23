"""The embedded web server's listening socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from relais.web.server import _listen


async def _nodelay_of_accepted(listener: socket.socket) -> int:
    """TCP_NODELAY as asyncio leaves it on the server side of one connection."""
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=listener)
    async with server:
        port = listener.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 10)
        writer.close()
    return value


@pytest.mark.parametrize(
    ("make", "expected"),
    [(_listen, True), (socket.create_server, False)],
    ids=["relais", "plain-create_server"],
)
def test_responses_leave_without_waiting_for_an_ack(
    make: Callable[[tuple[str, int]], socket.socket], expected: bool
) -> None:
    """A response written in two pieces (headers, body) must not wait 40 ms for the
    client's delayed ACK: the server's accepted sockets need TCP_NODELAY. The plain
    ``socket.create_server`` case shows what the check catches."""
    listener = make(("127.0.0.1", 0))
    assert listener.proto == (socket.IPPROTO_TCP if expected else 0)
    assert bool(asyncio.run(_nodelay_of_accepted(listener))) is expected
