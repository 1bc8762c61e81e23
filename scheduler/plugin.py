"""The scheduler as a channel of the wiring list: it starts nothing of its own.

Its one APScheduler (:mod:`scheduler.component`) starts in the running loop
with the first job a channel's component hands it, and stops with the last.
"""

from __future__ import annotations

__all__: list[str] = []
