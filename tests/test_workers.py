"""Liveness records: alive while the process lives, dead as soon as it is killed."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy.engine import Engine

from relais.workers import register

HOLDER = """
import sys, time
from relais.db import make_engine
from relais.workers import register
me = register(make_engine(sys.argv[1]))
print(me.id, flush=True)
time.sleep(600)
"""


def test_a_killed_process_is_dead_at_once_and_a_live_one_is_not(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True
    )
    observer = register(engine)
    try:
        assert holder.stdout is not None
        other = int(holder.stdout.readline())
        assert observer.dead([other, observer.id]) == set()
        never = 12345
        assert observer.dead([never]) == {never}
        holder.kill()
        holder.wait(10)
        deadline = time.monotonic() + 10  # the server notices the closed socket
        while observer.dead([other]) != {other} and time.monotonic() < deadline:
            time.sleep(0.02)
        assert observer.dead([other]) == {other}
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        observer.close()
