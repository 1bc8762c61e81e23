"""The admin tools as a channel of the wiring list: handlers and channel subscriptions."""

from __future__ import annotations

from bot.admin import (
    broadcast,
    event_create,
    event_edit,
    invite,
    lists,
    menu,
    networks,
    registrations,
    today,
)

__all__ = [
    "event_create", "event_edit", "lists", "menu", "networks", "registrations", "subscribe",
    "today",
]  # fmt: skip


def subscribe() -> None:
    invite.subscribe()
    broadcast.subscribe()
