"""The admin tools as a channel of the wiring list: their domain-event subscriptions.

Their buttons and typed steps are joined by :mod:`bot.admin.handlers` from its
list of areas; only invitations and broadcasts react to domain events.
"""

from __future__ import annotations

from bot.admin import broadcast, invite


def subscribe() -> None:
    invite.subscribe()
    broadcast.subscribe()
