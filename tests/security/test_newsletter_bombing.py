"""/abonner cannot flood someone's mailbox, nor tell who is on the list (bot stand-in)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from bot.application import BotComponent
from mailer.models import OutboxMessage
from relais.newsletter.models import Subscriber
from relais.plugins import subscribe_all
from relais.settings import get_settings
from tests.bot.conftest import api, bot, bot_settings
from tests.botapi import BotAPI, ScriptedUser
from tests.newsletter.conftest import add_subscribers

__all__ = ["api", "bot", "bot_settings"]


@pytest.fixture(autouse=True)
def plugins_subscribed() -> None:
    subscribe_all()


def confirmations_to(session: Session, address: str) -> int:
    with Session(session.get_bind()) as fresh:
        rows = fresh.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "newsletter_confirm")
            .where(col(OutboxMessage.to_address) == address)
        ).all()
        return len(rows)


def subscriber(session: Session, address: str) -> Subscriber:
    with Session(session.get_bind()) as fresh:
        found = fresh.exec(select(Subscriber).where(Subscriber.email == address)).one()
        fresh.expunge(found)
        return found


async def ask(user: ScriptedUser, address: str) -> str:
    await user.send("/abonner")
    await user.expect("Quelle adresse e-mail")
    await user.send(address)
    return (await user.next_message()).text


async def test_confirmations_to_one_address_are_capped_and_tries_are_not_reset(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    stranger = api.user("Mal", "Veillant")
    victim = "victime@exemple.fr"
    first = await ask(stranger, victim)
    assert "Un e-mail vient de partir vers victime@exemple.fr" in first
    code = subscriber(session, victim).confirm_code
    for wrong in ("000001", "000002"):
        await stranger.send(wrong if wrong != code else "000003")
        await stranger.expect("ne correspond pas")
    for _ in range(2):
        assert "Un e-mail vient de partir" in await ask(stranger, victim)
    again = subscriber(session, victim)
    assert again.confirm_attempts == 2 and again.confirm_code == code
    refused = await ask(stranger, victim)
    assert "Trop de demandes d'abonnement aujourd'hui" in refused
    assert confirmations_to(session, victim) == get_settings().newsletter_confirmations_per_address

    other = api.user("Autre", "Compte")
    assert "Trop de demandes" in await ask(other, victim)  # the cap is the address's
    assert confirmations_to(session, victim) == 3


async def test_one_account_cannot_mail_many_addresses(
    api: BotAPI, bot: BotComponent, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_CONFIRMATIONS_PER_ACCOUNT", "2")
    get_settings.cache_clear()
    stranger = api.user("Mal", "Veillant")
    for number in range(2):
        assert "Un e-mail vient de partir" in await ask(stranger, f"cible{number}@exemple.fr")
    assert "Trop de demandes" in await ask(stranger, "cible9@exemple.fr")
    assert confirmations_to(session, "cible9@exemple.fr") == 0


async def test_the_answer_is_the_same_for_a_subscribed_address(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    add_subscribers(session, 1)  # abonne1@exemple.fr is on the list
    prober = api.user("Cu", "Rieux")
    on_list = await ask(prober, "abonne1@exemple.fr")
    await prober.send("123456")
    wrong_on_list = (await prober.next_message()).text
    unknown = await ask(prober, "inconnu@exemple.fr")
    code = subscriber(session, "inconnu@exemple.fr").confirm_code
    await prober.send("123456" if code != "123456" else "654321")
    wrong_unknown = (await prober.next_message()).text
    assert on_list.replace("abonne1", "X") == unknown.replace("inconnu", "X")
    assert wrong_on_list == wrong_unknown
    # the owner of the subscribed address is told, without a code
    assert confirmations_to(session, "abonne1@exemple.fr") == 1
