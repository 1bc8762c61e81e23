"""Running the synchronous domain services from the bot's event loop.

Each unit of work (one ``session_scope``) runs whole in a worker thread: the
loop never waits on a database lock, and no transaction stays open across an
``await``. On SQLite every transaction takes the write lock (``BEGIN
IMMEDIATE``), and a writer that finds it taken polls with growing sleeps; so
the bot's work goes through one thread there, queued in memory instead, which
is faster and keeps the no-overbooking guarantee. PostgreSQL gets a pool: its
row locks serialise only what touches the same event.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from relais.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

_executors: dict[bool, ThreadPoolExecutor] = {}


def _executor() -> ThreadPoolExecutor:
    sqlite = get_settings().is_sqlite
    if sqlite not in _executors:
        _executors[sqlite] = ThreadPoolExecutor(
            max_workers=1 if sqlite else 8, thread_name_prefix="relais-bot-db"
        )
    return _executors[sqlite]


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(function, *args, **kwargs))
