"""Small parts of the bot that need no chat: retention, codes, the flood bucket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot import conversation, emailcode
from bot.guard import FloodGuard
from bot.models import BotConversation, BotOutboxMessage, OutboxState
from bot.outbox import purge_done
from relais.timefmt import utcnow

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_abandoned_conversations_are_forgotten_after_a_day(session: Session) -> None:
    session.add(
        BotConversation(
            telegram_id=1,
            step="email",
            data='{"last_name": "Vieux"}',
            updated_at=utcnow() - timedelta(days=2),
        )
    )
    session.add(BotConversation(telegram_id=2, step="email", data="{}"))
    session.commit()
    assert conversation.purge_abandoned() == 1
    session.expire_all()
    assert [row.telegram_id for row in session.exec(select(BotConversation))] == [2]


@SQLITE_ONLY
def test_codes_are_checked_limited_and_expire(session: Session) -> None:
    data: dict[str, object] = {}
    for _ in range(emailcode.MAX_CODES):
        emailcode.send_code(session, "a@exemple.fr", data)
    with pytest.raises(emailcode.TooManyCodes):
        emailcode.send_code(session, "a@exemple.fr", data)
    with pytest.raises(emailcode.CodeRefused) as wrong:
        emailcode.check_code("not a code", "a@exemple.fr", data)
    assert not wrong.value.exhausted
    data["code_expires"] = (utcnow() - timedelta(seconds=1)).isoformat()
    with pytest.raises(emailcode.CodeRefused) as expired:
        emailcode.check_code("123456", "a@exemple.fr", data)
    assert expired.value.exhausted
    session.rollback()


def test_flood_bucket_refills_with_time() -> None:
    guard = FloodGuard(burst=3, rate=1.0)
    assert [guard.allow(7, now=0.0) for _ in range(4)] == [True, True, True, False]
    assert guard.allow(7, now=1.5) and not guard.allow(7, now=1.6)
    assert guard.allow(8, now=1.6)


@SQLITE_ONLY
def test_finished_outbox_rows_are_deleted_after_a_month(session: Session) -> None:
    old = utcnow() - timedelta(days=31)
    session.add(
        BotOutboxMessage(
            idempotency_key="sent-old",
            chat_id=1,
            text_html="a",
            state=OutboxState.SENT,
            created_at=old,
        )
    )
    session.add(
        BotOutboxMessage(idempotency_key="pending-old", chat_id=1, text_html="b", created_at=old)
    )
    session.add(
        BotOutboxMessage(
            idempotency_key="sent-new", chat_id=1, text_html="c", state=OutboxState.SENT
        )
    )
    session.commit()
    assert purge_done() == 1
    session.expire_all()
    kept = sorted(row.idempotency_key for row in session.exec(select(BotOutboxMessage)))
    assert kept == ["pending-old", "sent-new"]
