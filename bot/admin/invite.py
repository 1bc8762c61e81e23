"""Inviting a network to an event from the bot, and the Telegram side of every invitation.

:func:`on_network_invited` is this channel's handler of ``NetworkInvited``
(from the bot or from ``relais network invite``): a Telegram message with the
registration link to each member who linked their account, recorded so that
nobody gets it twice.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, data, label, page, say
from bot.admin.menu import admin_networks, card_reply, checked_event
from bot.outbox import queue_message, wake
from bot.texts import Button, Reply, short
from relais import identifiers, signals
from relais.access import links
from relais.events import services as events
from relais.events.models import Event
from relais.i18n import t
from relais.invitations import services as invitations
from relais.networks import services as networks
from relais.roles import services as roles
from relais.roles.services import Action


def choose_network(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.INVITE, args[0])
    invitations.check_invitable(event)
    rows: list[list[Button]] = [
        [(short(network.name), data("invite_preview", event.id, network.id))]
        for network in admin_networks(session, actor)
    ]
    if not rows:
        return [Reply(say("no_networks"), [[(label("back"), data("event", event.id))]])]
    rows.append([(label("back"), data("event", event.id))])
    return [Reply(say("invite_which", title=event.title), rows)]


def preview(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.INVITE, args[0])
    network_id = identifiers.number(args[1])
    roles.require(session, actor.telegram_id, Action.INVITE, network_id=network_id)
    network = networks.lookup(session, str(network_id))
    assert event.id is not None
    members = networks.members(session, network_id)
    targets = invitations.targets(session, event.id, network_id)
    invited = invitations.invited_ids(session, event.id)
    fresh = [p for p in targets if p.id not in invited]
    text = page(
        "invite_preview.html",
        event=event,
        network=network,
        members=len(members),
        registered=len(members) - len(targets),
        already=len(targets) - len(fresh),
        by_email=sum(1 for p in fresh if p.email and not p.email_invalid),
        by_telegram=sum(1 for p in fresh if p.telegram_id and not p.telegram_blocked),
    )
    rows = [
        [(label("send_invitations"), data("invite_send", event.id, network_id))],
        [(label("back"), data("invite", event.id))],
    ]
    return [Reply(text, rows)]


def send(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.INVITE, args[0])
    network_id = identifiers.number(args[1])
    roles.require(session, actor.telegram_id, Action.INVITE, network_id=network_id)
    network = networks.lookup(session, str(network_id))
    assert event.id is not None
    report = invitations.invite_network(
        session, event.id, network_id, roles.actor(actor.telegram_id)
    )
    text = t("admin.invite_report", title=event.title, network=network.name, report=report)
    return [Reply(say("plain", text=text)), card_reply(session, event)]


def invitation_text(event: Event) -> str:
    return page(
        "invitation.html",
        event=event,
        place=events.place_label(event),
        link=links.event_telegram_link(event) or links.event_page(event),
    )


def on_network_invited(session: Session, invited: signals.NetworkInvited) -> None:
    event = events.get(session, invited.event_id)
    text = invitation_text(event)
    for person in invitations.targets(
        session, invited.event_id, invited.network_id, invitations.TELEGRAM
    ):
        if person.id is None or person.telegram_id is None or person.telegram_blocked:
            continue
        recorded = invitations.record(
            session,
            event_id=invited.event_id,
            person_id=person.id,
            channel=invitations.TELEGRAM,
            batch=invited.batch,
            actor=invited.actor,
            network_id=invited.network_id,
        )
        if recorded:
            queue_message(
                session,
                person_id=person.id,
                text_html=text,
                idempotency_key=f"admin:invite:{invited.event_id}:{person.id}",
            )


def _wake(_event: object) -> None:
    wake()


def subscribe() -> None:
    signals.on(signals.NetworkInvited, on_network_invited)
    signals.after_commit(signals.NetworkInvited, _wake)


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("invite", Action.INVITE, choose_network),
    AdminRoute("invite_preview", Action.INVITE, preview),
    AdminRoute("invite_send", Action.INVITE, send),
)
STEPS: tuple[AdminStep, ...] = ()
