"""The delivery engine itself, on a toy channel: claims, liveness, retry with backoff, pacing.

The toy channel keeps its rows in the chat outbox table (any table with the
engine's columns would do) and hands them to a transport that records what
it was given and answers what the test told it to.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from relais.delivery import Channel, DeliveryEngine, DeliveryLoop, Outbox, Pacing, Result, backoff
from relais.delivery.chat import ChatMessage, ChatState, queue_message
from relais.delivery.engine import WAKE_MARGIN
from relais.timefmt import utcnow


@dataclass(frozen=True)
class Toy:
    row_id: int
    key: int


class ToyChannel(Channel):
    outbox = Outbox(ChatMessage, ChatState, "last_error", 300)
    batch_size = 100

    def render(self, session: Session, rows: Sequence[ChatMessage]) -> Iterator[Toy | Result]:
        for row in rows:
            assert row.id is not None and row.chat_id is not None
            yield Toy(row.id, row.chat_id)

    def retry_at(self, row: ChatMessage, result: Result, now: datetime) -> datetime | None:
        return now + backoff(10.0, row.attempts) if row.attempts < 3 else None


@dataclass
class ToyTransport:
    """Answers ``refuse`` (retry) for the first sends, accepts the others; notes start times."""

    refuse: int = 0
    sent: list[tuple[int, int, float]] = field(default_factory=list)

    async def deliver(self, item: Toy) -> tuple[Result, bool]:
        self.sent.append((item.row_id, item.key, asyncio.get_running_loop().time()))
        if self.refuse:
            self.refuse -= 1
            return Result(item.row_id, False, "421 try later", retry=True), True
        return Result(item.row_id, True, "ok"), True

    async def close(self) -> None:
        return None


def _queue(session: Session, chats: list[int]) -> None:
    for number, chat in enumerate(chats):
        queue_message(
            session, chat_id=chat, text_html=f"m{number}", idempotency_key=f"toy:{number}"
        )
    session.commit()


def _rows(session: Session) -> list[ChatMessage]:
    session.expire_all()
    rows = list(session.exec(select(ChatMessage).order_by(ChatMessage.id)))  # type: ignore[arg-type]
    session.commit()
    return rows


def _engine(
    engine: Engine, transport: ToyTransport, pacing: Pacing | None = None
) -> DeliveryEngine:
    return DeliveryEngine(ToyChannel(), [transport], pacing=pacing, engine=engine)


async def test_a_dead_claimers_rows_are_taken_back_at_once(
    engine: Engine, session: Session
) -> None:
    _queue(session, [1, 2, 3])
    dead = _engine(engine, ToyTransport())
    assert len(dead.claim()) == 3
    dead.liveness.close()  # its process died: no lease to wait for
    transport = ToyTransport()
    survivor = _engine(engine, transport)
    try:
        assert await survivor.run_once() == 3
    finally:
        await survivor.close()
    assert sorted(row_id for row_id, _, _ in transport.sent) == [r.id for r in _rows(session)]
    assert {row.state for row in _rows(session)} == {ChatState.SENT}


async def test_a_live_claimers_rows_are_never_taken(engine: Engine, session: Session) -> None:
    _queue(session, [1, 2])
    busy = _engine(engine, ToyTransport())
    transport = ToyTransport()
    other = _engine(engine, transport)
    try:
        assert len(busy.claim()) == 2
        assert await other.run_once() == 0
        assert transport.sent == []
        assert {row.state for row in _rows(session)} == {ChatState.SENDING}
    finally:
        await other.close()
        await busy.close()


async def test_a_refusal_is_retried_with_backoff_then_given_up(
    engine: Engine, session: Session
) -> None:
    _queue(session, [1])
    transport = ToyTransport(refuse=3)
    toy = _engine(engine, transport)
    try:
        delays = []
        for _ in range(3):
            before = utcnow()
            await toy.run_once()
            (row,) = _rows(session)
            if row.state == ChatState.PENDING:
                delays.append(row.next_attempt_at - before)
                row.next_attempt_at = utcnow()  # the test does not wait for the delay
                session.add(row)
                session.commit()
        assert await toy.run_once() == 0  # nothing left: failed after the third attempt
    finally:
        await toy.close()
    (row,) = _rows(session)
    assert row.state == ChatState.FAILED and row.attempts == 3 and row.last_error == "421 try later"
    assert [round(d / timedelta(seconds=10)) for d in delays] == [1, 2]
    assert len(transport.sent) == 3


async def test_one_message_at_a_time_per_key_the_others_wait_their_turn(
    engine: Engine, session: Session
) -> None:
    _queue(session, [7, 7, 8, 7])
    transport = ToyTransport()
    toy = _engine(engine, transport, Pacing(per_key=0.3))
    try:
        assert await toy.run_once() == 2  # one for chat 7, one for chat 8
        assert toy.next_wake is not None and 0 < toy.next_wake <= 0.3 + WAKE_MARGIN
        waiting = [row for row in _rows(session) if row.state == ChatState.PENDING]
        assert [row.text_html for row in waiting] == ["m1", "m3"]
        assert all(row.attempts == 0 and row.claimed_by is None for row in waiting)
        while len(transport.sent) < 4:
            await asyncio.sleep(toy.next_wake or 0.05)
            await toy.run_once()
    finally:
        await toy.close()
    chat7 = [(row_id, at) for row_id, key, at in transport.sent if key == 7]
    assert [row_id for row_id, _ in chat7] == sorted(row_id for row_id, _ in chat7)  # order kept
    assert all(b - a >= 0.3 for (_, a), (_, b) in itertools.pairwise(chat7))
    assert {row.state for row in _rows(session)} == {ChatState.SENT}


async def test_a_loop_wakes_itself_for_the_rows_it_deferred(
    engine: Engine, session: Session
) -> None:
    """Without any scheduler job, the rows a busy key deferred still go, each in turn."""
    _queue(session, [5, 5, 5])
    transport = ToyTransport()
    loop = DeliveryLoop("toy", _engine(engine, transport, Pacing(per_key=0.2)), every=3600)
    await loop.start()
    try:
        for _ in range(200):  # polls the database, at most 20 s
            if {row.state for row in _rows(session)} == {ChatState.SENT}:
                break
            await asyncio.sleep(0.1)
    finally:
        await loop.stop()
    assert [row_id for row_id, _, _ in transport.sent] == [row.id for row in _rows(session)]
