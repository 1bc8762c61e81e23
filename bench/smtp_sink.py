"""A fast SMTP server (aiosmtpd) in its own process, for the crash test and the benchmark.

Accepts everything; with ``--out`` it appends the Message-ID of each accepted
message to a file, one per line, flushed at once, so a test can count
deliveries across kills of the sender.

    python bench/smtp_sink.py --port 2525 [--out ids.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
from typing import IO, Any

from aiosmtpd.smtp import SMTP

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, out: IO[str] | None) -> None:
        self.out = out
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        if self.out is not None:
            head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
            found = _MESSAGE_ID.search(head)
            self.out.write((found.group(1).decode() if found else "?") + "\n")
            self.out.flush()
        return "250 2.0.0 Accepted"


async def serve(port: int, out_path: str | None) -> None:
    out = open(out_path, "a", encoding="utf-8") if out_path else None  # noqa: SIM115
    sink = Sink(out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, data_size_limit=None, hostname="sink.local"), "127.0.0.1", port
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"ready {port}", flush=True)
    await stop.wait()
    server.close()
    if out is not None:
        out.close()
    print(f"received {sink.count}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", default=None)
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.out))


if __name__ == "__main__":
    main()
