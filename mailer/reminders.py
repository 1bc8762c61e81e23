"""Reminder rows: placeholder."""

from __future__ import annotations


def queue_due() -> int:
    return 0
