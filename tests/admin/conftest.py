"""Helpers shared by the admin tests: administrators from the settings, networks with members."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlmodel import Session

from bot import handlers as bot_handlers
from bot import plugin as bot_plugin
from bot.admin import plugin as admin_plugin
from bot.application import BotComponent
from bot.guard import FloodGuard
from mailer.dispatch import Dispatcher
from relais.networks import services as networks
from relais.networks.models import Network
from relais.plugins import subscribe_all
from relais.roles import services as roles
from relais.roles.models import Role
from relais.settings import Settings, get_settings, load_settings
from tests.botapi import TOKEN, BotAPI, ScriptedUser
from tests.conftest import assert_golden as golden
from tests.factories import make_person
from tests.mail.conftest import SmtpRecorder, smtp_server

__all__ = ["SmtpRecorder", "smtp_server"]

ADMIN_ID = 1000


@pytest.fixture
def admin_id(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[int]:
    """A Telegram account listed in ADMIN_TELEGRAM_IDS."""
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(ADMIN_ID))
    get_settings.cache_clear()
    yield ADMIN_ID
    get_settings.cache_clear()


def make_network(session: Session, name: str, members: int = 0, **person: object) -> Network:
    network = networks.create(session, name, "test")
    assert network.id is not None
    for _ in range(members):
        added = make_person(session, **person)
        assert added.id is not None
        networks.add_member(session, network.id, added.id, "test")
    session.commit()
    return network


# -- a running bot with the admin tools, against the Bot API stand-in ------------------


@pytest.fixture
async def api() -> AsyncIterator[BotAPI]:
    async with BotAPI() as stand_in:
        yield stand_in


@pytest.fixture
def bot_settings(db_url: str, api: BotAPI) -> Settings:
    return load_settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        organisation_name="CRPV Essonne",
    )


@pytest.fixture
async def bot(
    bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotComponent]:
    """The bot with admin tools; the flood guard is widened, scripts type faster than people."""
    monkeypatch.setattr(bot_handlers, "FloodGuard", lambda: FloodGuard(burst=10_000))
    subscribe_all()
    bot_plugin.subscribe()
    admin_plugin.subscribe()
    component = BotComponent(bot_settings)
    await component.start()
    try:
        yield component
    finally:
        await component.stop()


def coordinator(
    api: BotAPI, session: Session, first_name: str = "Claire", **limits: object
) -> ScriptedUser:
    """A scripted Telegram user given the coordinator role through the role table."""
    user = api.user(first_name, "Coordinatrice")
    networks_ = [str(code) for code in limits.get("networks", [])]  # type: ignore[attr-defined]
    roles.grant(session, user.id, Role.COORDINATOR, "test", networks_)
    session.commit()
    return user


async def dispatch_mail() -> int:
    """One pass of the real mail dispatcher over the outbox (to the SMTP server on loopback)."""
    dispatcher = Dispatcher(get_settings())
    try:
        return await dispatcher.run_once()
    finally:
        await dispatcher.close()


def assert_golden(name: str, text: str) -> None:
    """``tests/golden/admin/<name>``, with a final newline (see :func:`tests.conftest.assert_golden`)."""
    golden(f"admin/{name}", text + "\n")
