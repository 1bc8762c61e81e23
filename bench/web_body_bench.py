"""Memory of ``relais run`` while a stranger POSTs a huge body to an unsubscribe link.

Starts ``relais run`` (SQLite in a temporary folder, no bot), reads its resident
memory, streams ``--megabytes`` of body (chunked, no Content-Length) to a genuine
unsubscribe link, and reads the memory again. Ceiling, measured in the same run:
the body size, which is what the process grew by when it read bodies whole
(the issue measured 124 MB → 841 MB for 400 MB). Prints the growth, the bytes
the client managed to send before the 413, and their ratios to that ceiling.

    .venv/bin/python bench/web_body_bench.py [--megabytes 400]
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHUNK = b"x" * 65_536


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _start(folder: Path, environment: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "run"], cwd=folder, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"web pages on http://[^:]+:(\d+)", line)
        if found:
            return process, int(found.group(1))
    raise RuntimeError("relais run did not start")


def _stream(port: int, path: str, total: int) -> tuple[int, str]:
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n"
        connection.sendall(head.encode())
        chunk = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
        try:
            while sent < total and not select.select([connection], [], [], 0)[0]:
                connection.sendall(chunk)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = connection.recv(200).decode("latin-1", "replace").splitlines()
    return sent, answer[0] if answer else "(no answer)"


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=400)
    total = parser.parse_args().megabytes * 1024 * 1024
    folder = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    environment = {
        **os.environ, "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "WEB_PORT": "0",
        "TELEGRAM_BOT_TOKEN": "", "SECRET_KEY": "", "MAIL_OUTBOX_DIR": str(folder / "outbox"),
    }  # fmt: skip
    process, port = _start(folder, environment)
    try:
        os.environ.update(environment)
        from relais.db import session_scope
        from relais.newsletter import services, tokens

        with session_scope() as session:
            subscriber = services.request(
                session, email="bench@exemple.fr", channel="telegram", source="bench"
            )
            services.confirm(session, subscriber)
        assert subscriber.id is not None
        path = f"/desabonnement/{tokens.make('unsubscribe', subscriber.id, subscriber.email)}"
        time.sleep(1)
        before = _rss_mb(process.pid)
        sent, status = _stream(port, path, total)
        after = _rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    ceiling = total / 1024 / 1024
    growth = max(0.0, after - before)
    print(f"answer: {status}")
    print(f"relais run memory: {before:.0f} MB before, {after:.0f} MB after")
    print(f"ceiling (body offered): {ceiling:.0f} MB")
    print(f"growth: {growth:.1f} MB, ratio to ceiling {growth / ceiling:.4f}")
    print(f"sent before the answer: {sent / 1024 / 1024:.1f} MB, ratio {sent / total:.4f}")


if __name__ == "__main__":
    main()
