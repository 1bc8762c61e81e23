"""Running the synchronous domain services from the bot's event loop.

Each unit of work (one ``session_scope``) runs whole in a worker thread: the
loop never waits on a database lock, and no transaction stays open across an
``await``. On SQLite, ``BEGIN IMMEDIATE`` then queues the writers one after
the other (busy timeout), which keeps the no-overbooking guarantee without
blocking the loop; on PostgreSQL the services' row locks do the same.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="relais-bot-db")


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(function, *args, **kwargs))
