"""The Telegram outbox is claimed: two senders never take one row, a dead one's rows come back."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import BotOutboxMessage, OutboxState
from bot.outbox import TelegramChannel, queue_message
from relais.delivery import DeliveryEngine
from relais.timefmt import utcnow


def _queue(session: Session, count: int) -> None:
    for number in range(count):
        queue_message(session, chat_id=1000 + number, text_html=f"m{number}",
                      idempotency_key=f"claim:{number}")  # fmt: skip
    session.commit()


def _states(session: Session) -> dict[str, int]:
    session.expire_all()
    found: dict[str, int] = {}
    for row in session.exec(select(BotOutboxMessage)):
        found[row.state] = found.get(row.state, 0) + 1
    session.commit()
    return found


def test_two_senders_split_the_rows_and_a_dead_ones_come_back(session: Session) -> None:
    _queue(session, 6)
    bind = session.get_bind()
    first = DeliveryEngine(TelegramChannel(), [], engine=bind)  # type: ignore[arg-type]
    second = DeliveryEngine(TelegramChannel(), [], engine=bind)  # type: ignore[arg-type]
    try:
        mine = first.claim(4)
        theirs = second.claim(10)
        assert len(mine) == 4 and len(theirs) == 2
        assert {m.id for m in mine}.isdisjoint({m.id for m in theirs})
        assert second.claim(10) == []  # the first is alive: its rows stay with it
        assert _states(session) == {OutboxState.SENDING: 6}

        first.liveness.close()  # its process died
        back = second.claim(10)
        assert sorted(m.id for m in back) == sorted(m.id for m in mine)

        second.release([(m.id, utcnow()) for m in back])  # a chat that must wait: pending again
        assert _states(session) == {OutboxState.PENDING: 4, OutboxState.SENDING: 2}
    finally:
        first.liveness.close()  # closing twice is harmless
        second.liveness.close()
