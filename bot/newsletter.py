"""« Ressources Info » in the bot: /abonner, /desabonner, and /lettre for coordinators.

Subscribing is a double opt-in: the typed address gets an e-mail with a link
and a six-digit code, and the subscription is active only once either comes
back. The step (waiting for the address, then the code) is kept in
``bot_conversation`` and typed answers reach it through the bot's setup
(:func:`bot.parts.text_steps`), like the bot's own steps, so a restart loses nothing.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import conversation, handlers
from bot.actor import Actor, linked_person
from bot.conversation import State
from bot.texts import Reply, Words, problem, say
from bot.work import in_thread
from relais.db import session_scope
from relais.errors import InvalidInput
from relais.i18n import t
from relais.newsletter import issues, sending
from relais.newsletter import services as subscriptions
from relais.newsletter.models import Issue, Subscriber, SubscriberStatus
from relais.settings import get_settings

STEP_EMAIL = "newsletter_email"
STEP_CODE = "newsletter_code"
MAX_EMAIL = 254


#: Longer messages from ``templates/newsletter/``; short lines are the bot's.
_page = Words("bot", "bot.buttons", "newsletter").page


def _subscription(session: Session, telegram_id: int) -> Subscriber | None:
    """The subscription of this Telegram account: asked from it, or its person's address."""
    found = session.exec(
        select(Subscriber)
        .where(Subscriber.telegram_id == telegram_id)
        .order_by(col(Subscriber.updated_at).desc())
    ).first()
    person = linked_person(session, telegram_id)
    if found is None and person is not None:
        found = subscriptions.by_person(session, person.id or 0)
        if found is None and person.email:
            found = subscriptions.by_email(session, person.email)
    return found


def ask_email(actor: Actor) -> list[Reply]:
    with session_scope() as session:
        current = _subscription(session, actor.telegram_id)
        if current is not None and current.mailable:
            return [Reply(say("newsletter.already", email=current.email))]
        person = linked_person(session, actor.telegram_id)
        conversation.save(session, actor.telegram_id, State(STEP_EMAIL))
        return [
            Reply(
                _page(
                    "bot_ask_email.html",
                    known=person.email if person is not None else None,
                    privacy_url=get_settings().privacy_url,
                    organisation=get_settings().organisation_name,
                )
            )
        ]


def take_email(session: Session, actor: Actor, state: State, text: str) -> list[Reply]:
    if len(text.strip()) > MAX_EMAIL:
        return [Reply(say("invalid.too_long", limit=MAX_EMAIL))]
    person = linked_person(session, actor.telegram_id)
    try:
        subscriber = subscriptions.request(
            session,
            email=text,
            channel="telegram",
            source=t("newsletter.bot.consent_source"),
            person_id=person.id if person is not None else None,
            telegram_id=actor.telegram_id,
        )
    except InvalidInput as error:
        if error.code == "newsletter_too_many_requests":
            conversation.clear(session, actor.telegram_id)
            return [Reply(problem(error))]
        return [Reply(problem(error)), Reply(say("newsletter.ask_again"))]
    # The same answer whether or not the address is subscribed: nobody can probe the list.
    conversation.save(session, actor.telegram_id, State(STEP_CODE, {"subscriber": subscriber.id}))
    return [Reply(say("newsletter.code_sent", email=subscriber.email))]


def take_code(session: Session, actor: Actor, state: State, text: str) -> list[Reply]:
    subscriber = session.get(Subscriber, state.data.get("subscriber"))
    if subscriber is None:
        conversation.clear(session, actor.telegram_id)
        return [Reply(problem(InvalidInput("newsletter_nothing_to_confirm")))]
    try:
        subscriptions.confirm_code(session, subscriber, text)
    except InvalidInput as error:
        if error.code != "newsletter_code_wrong":
            conversation.clear(session, actor.telegram_id)
        return [Reply(problem(error))]
    conversation.clear(session, actor.telegram_id)
    return [Reply(say("newsletter.confirmed", email=subscriber.email))]


def leave(actor: Actor) -> list[Reply]:
    with session_scope() as session:
        state = conversation.load(session, actor.telegram_id)
        if state is not None and state.step in (STEP_EMAIL, STEP_CODE):
            conversation.clear(session, actor.telegram_id)
        subscriber = _subscription(session, actor.telegram_id)
        if subscriber is None or subscriber.status not in (
            SubscriberStatus.ACTIVE,
            SubscriberStatus.PENDING,
        ):
            return [Reply(say("newsletter.not_subscribed"))]
        subscriptions.unsubscribe(session, subscriber, channel="telegram")
        return [Reply(say("newsletter.unsubscribed", email=subscriber.email))]


def coordinator_view(actor: Actor) -> list[Reply]:
    """The latest issue as its readers will see it, and how many it goes (or went) to."""
    if actor.telegram_id not in get_settings().admin_telegram_ids:
        return [Reply(say("newsletter.coordinators_only"))]
    with session_scope() as session:
        active = subscriptions.counts(session)[SubscriberStatus.ACTIVE]
        issue = session.exec(select(Issue).order_by(col(Issue.number).desc())).first()
        if issue is None:
            return [Reply(say("newsletter.no_issue", recipients=active))]
        progress = sending.progress(session, issue.number)
        recipients = issue.recipients if issue.queue_complete else active
        summary = _page(
            "bot_issue.html", issue=issue, recipients=recipients, progress=progress,
            started=bool(issue.queued_through or issue.queue_complete),
        )  # fmt: skip
        sample = f"{get_settings().public_base_url}/desabonnement/exemple"
        preview = issues.personalise(issue.html, sample).encode("utf-8")
        return [Reply(summary), Reply("", document=(f"lettre-{issue.number}.html", preview))]


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await handlers.respond(update, context, await in_thread(ask_email, handlers.actor_of(update)))


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await handlers.respond(update, context, await in_thread(leave, handlers.actor_of(update)))


async def issue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = handlers.actor_of(update)
    await handlers.respond(update, context, await in_thread(coordinator_view, actor))


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("abonner", subscribe_command))
    application.add_handler(CommandHandler("desabonner", unsubscribe_command))
    application.add_handler(CommandHandler("lettre", issue_command))
