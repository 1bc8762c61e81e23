"""How fast the bot answers: N scripted people register through the Bot API stand-in.

The bot runs as in production (``relais run``, its own process, long polling)
against the stand-in served here. Each person (profile already known, so
registering is one tap) opens an event by its deep link, then taps
« S'inscrire »; we time each step from the person's message to the bot's
answer reaching the stand-in. The ceiling, measured in the same run, is the
stand-in's own round trip: python-telegram-bot's HTTP stack sending messages
to it with nothing behind.

    .venv/bin/python bench/bot_bench.py --users 500 [--database postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _prepare(users: list[int], capacity: int) -> str:
    """A published event and one registered-before person per scripted user."""
    from datetime import timedelta

    from relais.db import get_engine, session_scope
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from relais.migrate import upgrade
    from relais.people import services as people
    from relais.people.models import ConsentPurpose
    from relais.timefmt import utcnow

    upgrade(get_engine())
    with session_scope() as session:
        event = events.create(
            session,
            EventInput(
                title="Rencontre régionale des adultes-relais",
                starts_at=utcnow() + timedelta(days=20),
                duration_minutes=180,
                capacity=capacity,
            ),
            "bench",
        )
        for telegram_id in users:
            person = people.save_profile(
                session,
                email=f"p{telegram_id}@bench.example.org",
                first_name="Prénom",
                last_name=f"Nom{telegram_id}",
                telegram_id=telegram_id,
            )
            assert person.id is not None
            people.record_consent(session, person.id, ConsentPurpose.REGISTRATION, "bench")
        return event.code


def _registration_cost(telegram_ids: list[int], code: str) -> float:
    """Seconds per registration when the domain service is called directly (every plugin's
    in-transaction handlers included): what the bot cannot go below on this database."""
    from relais.db import session_scope
    from relais.events import services as events
    from relais.people import services as people
    from relais.registrations import services as registrations
    from wiring import subscribe_all

    subscribe_all()
    began = time.monotonic()
    for telegram_id in telegram_ids:
        with session_scope() as session:
            event = events.by_code(session, code)
            person = people.by_telegram(session, telegram_id)
            assert event.id is not None and person is not None and person.id is not None
            registrations.register(session, event.id, person.id, source="bench")
    return (time.monotonic() - began) / len(telegram_ids)


async def _ceiling(api: object, chats: list[int], concurrency: int) -> tuple[float, list[float]]:
    """Messages per second and round trips of the stand-in alone, through the same stack."""
    from telegram import Bot

    from tests.botapi import TOKEN

    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with Bot(TOKEN, base_url=api.base_url) as bot:  # type: ignore[attr-defined]

        async def one(chat_id: int) -> None:
            async with gate:
                start = time.monotonic()
                await bot.send_message(chat_id, "<b>ping</b>", parse_mode="HTML")
                latencies.append(time.monotonic() - start)

        began = time.monotonic()
        await asyncio.gather(*(one(chat) for chat in chats))
        elapsed = time.monotonic() - began
    return len(chats) / elapsed, latencies


async def _start_relais(api: object) -> subprocess.Popen[bytes]:
    """``relais run`` in its own process, as in production, pointed at the stand-in."""
    from tests.botapi import TOKEN

    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,  # type: ignore[attr-defined]
        "WEB_PORT": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "run"], env=env, stdout=subprocess.DEVNULL
    )
    while not api.calls_to("getUpdates"):  # type: ignore[attr-defined]
        if process.poll() is not None:
            raise SystemExit("relais run stopped before polling")
        await asyncio.sleep(0.05)
    return process


async def _run(count: int, concurrency: int) -> None:
    from tests.botapi import BotAPI

    async with BotAPI() as api:
        people = [api.user(f"P{n}") for n in range(count)]
        direct = [10_000_000 + n for n in range(min(count, 100))]
        code = await asyncio.to_thread(_prepare, [p.id for p in people], max(1, count // 2))
        direct_code = await asyncio.to_thread(_prepare, direct, len(direct))
        relais = await _start_relais(api)
        latencies: list[float] = []
        answers: list[str] = []
        gate = asyncio.Semaphore(concurrency)

        async def journey(person: object) -> None:
            async with gate:
                for action in (
                    lambda: person.send(f"/start {code}"),  # type: ignore[attr-defined]
                    lambda: person.tap("✅ S'inscrire"),  # type: ignore[attr-defined]
                ):
                    start = time.monotonic()
                    await action()
                    answer = await person.next_message(timeout=120)  # type: ignore[attr-defined]
                    latencies.append(answer.at - start)
                    answers.append(answer.text)

        try:
            calls_before = len(api.calls)
            began = time.monotonic()
            await asyncio.gather(*(journey(p) for p in people))
            elapsed = time.monotonic() - began
            bot_calls = len(api.calls) - calls_before
        finally:
            relais.send_signal(signal.SIGTERM)
            await asyncio.to_thread(relais.wait, 60)
        confirmed = sum("Inscription confirmée" in text for text in answers)
        waitlisted = sum("liste d'attente" in text and "position" in text for text in answers)
        ceiling_rate, ceiling = await _ceiling(api, [p.id for p in people] * 2, concurrency)
        per_registration = await asyncio.to_thread(_registration_cost, direct, direct_code)
    updates = 2 * count
    p50, p95 = _percentile(latencies, 0.50), _percentile(latencies, 0.95)
    c50, c95 = _percentile(ceiling, 0.50), _percentile(ceiling, 0.95)
    rate = updates / elapsed
    print(f"bot: {count} people, {updates} updates in {elapsed:.2f} s -> {rate:.0f} updates/s")
    print(
        f"bot: message -> answer p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms"
    )
    print(
        f"ceiling (stand-in alone, same stack): {ceiling_rate:.0f} messages/s, round trip p50 {c50 * 1000:.1f} ms, p95 {c95 * 1000:.1f} ms"
    )
    print(f"bot: {bot_calls} Bot API calls during the run -> {bot_calls / elapsed:.0f} calls/s")
    print(
        f"ratio: Bot API calls/s {bot_calls / elapsed / ceiling_rate:.2f} of the ceiling, "
        f"p50 latency {p50 / c50:.1f}x the ceiling's round trip"
    )
    print(
        f"database: one registration called directly takes {per_registration * 1000:.1f} ms "
        f"({1 / per_registration:.0f}/s); the bot's one-tap registration needs one, plus a card read"
    )
    print(f"check: {confirmed} confirmed, {waitlisted} waitlisted (capacity {max(1, count // 2)})")


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument(
        "--concurrency", type=int, default=100, help="people acting at the same time"
    )
    parser.add_argument(
        "--database", default="", help="DATABASE_URL (default: a temporary SQLite file)"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = arguments.database or f"sqlite:///{folder}/bench.db"
        os.environ.setdefault("MAIL_OUTBOX_DIR", str(Path(folder) / "outbox"))
        os.chdir(folder)
        asyncio.run(_run(arguments.users, arguments.concurrency))


if __name__ == "__main__":
    main()
