"""/abonner, /desabonner and /lettre in the bot, over python-telegram-bot's real HTTP stack
against the Bot API stand-in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.application import BotComponent
from mailer.models import OutboxMessage
from relais.newsletter import archive, issues
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.plugins import subscribe_all
from relais.settings import get_settings
from tests.botapi import BotAPI
from tests.newsletter.conftest import DATA, add_subscribers, assert_golden

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def plugins_subscribed() -> None:
    """The confirmation e-mail is queued by the newsletter's mail plugin."""
    subscribe_all()


def _subscriber(session: Session, email: str) -> Subscriber:
    with Session(session.get_bind()) as fresh:
        found = fresh.exec(select(Subscriber).where(Subscriber.email == email)).one()
        fresh.expunge(found)
        return found


async def test_subscribe_by_chat_with_the_code_then_unsubscribe(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    fatou = api.user("Fatou", "Sy")
    await fatou.send("/abonner")
    asked = await fatou.expect("Quelle adresse e-mail")
    assert_golden("bot_ask_email.html", asked.html)
    await fatou.send("fatou.sy@@exemple")
    await fatou.expect("pas une adresse e-mail valide")
    await fatou.send("Fatou.Sy@Exemple.fr")
    await fatou.expect("Un e-mail vient de partir vers fatou.sy@exemple.fr")
    subscriber = _subscriber(session, "fatou.sy@exemple.fr")
    assert subscriber.status == SubscriberStatus.PENDING and subscriber.telegram_id == fatou.id
    with Session(session.get_bind()) as fresh:
        mail = fresh.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "newsletter_confirm")
        ).one()
        assert mail.to_address == "fatou.sy@exemple.fr"

    wrong = "000000" if subscriber.confirm_code != "000000" else "111111"
    await fatou.send(wrong)
    await fatou.expect("ne correspond pas")
    await fatou.send(subscriber.confirm_code or "")
    await fatou.expect("C'est fait : fatou.sy@exemple.fr recevra")
    active = _subscriber(session, "fatou.sy@exemple.fr")
    assert active.status == SubscriberStatus.ACTIVE
    assert (active.consent_channel, active.consent_source) == (
        "telegram",
        "bot Telegram (/abonner)",
    )

    await fatou.send("/abonner")
    await fatou.expect("déjà abonné·e")
    await fatou.send("bonjour")
    await fatou.expect("/evenements")  # outside a step, text still gets the bot's help
    await fatou.send("/desabonner")
    await fatou.expect("ne recevra plus « Ressources Info »")
    assert _subscriber(session, "fatou.sy@exemple.fr").status == SubscriberStatus.UNSUBSCRIBED
    await fatou.send("/desabonner")
    await fatou.expect("n'est lié à aucun abonnement")


async def test_coordinators_see_the_preview_and_the_recipients(
    api: BotAPI, bot: BotComponent, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator = api.user("Claire", "Coordinatrice")
    someone = api.user("Paul", "Curieux")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(coordinator.id))
    get_settings.cache_clear()
    await someone.send("/lettre")
    await someone.expect("réservée aux coordinateurs")
    await coordinator.send("/lettre")
    await coordinator.expect("Aucune lettre n'est encore prête")

    add_subscribers(session, 4)
    source = issues.parse((DATA / "lettre-42.md").read_text(encoding="utf-8"))
    rendered = issues.render(session, source)
    archive.freeze(session, source, rendered, datetime(2031, 12, 1, 8, 0, tzinfo=UTC))
    session.commit()
    await coordinator.send("/lettre")
    summary = await coordinator.expect("Ressources Info n° 42")
    assert "Destinataires : 4 abonné·e(s)" in summary.text
    assert_golden("bot_issue.html", summary.html)
    preview = await coordinator.next_document()
    assert preview.message.document is not None
    name, content = preview.message.document
    assert name == "lettre-42.html" and b"Trois ans de Cit" in content
