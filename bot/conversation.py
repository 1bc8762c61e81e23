"""Where a person is in a multi-step exchange, stored in ``bot_conversation``.

python-telegram-bot's ConversationHandler keeps its state in memory (persisted
only every few seconds), so a restart would lose the step; here it is one row
per Telegram user, written in the same transaction as the answer it follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, delete

from bot.models import BotConversation
from relais.db import session_scope
from relais.timefmt import utcnow

#: An abandoned conversation holds what someone typed without consenting: not kept long.
KEEP_ABANDONED = timedelta(days=1)


@dataclass
class State:
    step: str
    data: dict[str, Any] = field(default_factory=dict)


def load(session: Session, telegram_id: int) -> State | None:
    row = session.get(BotConversation, telegram_id)
    if row is None:
        return None
    return State(row.step, json.loads(row.data or "{}"))


def save(session: Session, telegram_id: int, state: State) -> None:
    row = session.get(BotConversation, telegram_id) or BotConversation(
        telegram_id=telegram_id, step=state.step
    )
    row.step = state.step
    row.data = json.dumps(state.data, ensure_ascii=False)
    row.updated_at = utcnow()
    session.add(row)


def clear(session: Session, telegram_id: int) -> bool:
    row = session.get(BotConversation, telegram_id)
    if row is None:
        return False
    session.delete(row)
    return True


def purge_abandoned() -> int:
    """Forget conversations left untouched for a day; returns how many."""
    with session_scope() as session:
        result = session.exec(
            delete(BotConversation).where(  # type: ignore[call-overload]
                col(BotConversation.updated_at) < utcnow() - KEEP_ABANDONED
            )
        )
        return int(result.rowcount or 0)
