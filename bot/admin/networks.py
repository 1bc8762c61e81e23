"""Peer networks from the bot: the list, the members, adding by e-mail or from an event's registrants."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from bot import conversation
from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, ask, current, data, label, page, say
from bot.admin.menu import checked_event, event_buttons
from bot.conversation import State
from bot.texts import Button, Reply, short
from relais import identifiers
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.networks import services as networks
from relais.networks.models import Network
from relais.registrations import services as registrations
from relais.registrations.models import RegistrationStatus
from relais.roles import services as roles
from relais.roles.services import Action
from relais.timefmt import utcnow

MEMBERS_SHOWN = 60
RECENT = timedelta(days=120)


def _network(session: Session, actor: Actor, raw_id: str) -> Network:
    network_id = identifiers.number(raw_id)
    roles.require(session, actor.telegram_id, Action.NETWORKS, network_id=network_id)
    return networks.lookup(session, str(network_id))


def list_networks(session: Session, actor: Actor, args: list[str]) -> Result:
    allowed = roles.visible_network_ids(session, actor.telegram_id)
    rows: list[list[Button]] = [
        [(f"{short(network.name, 40)} ({count})", data("network", network.id))]
        for network, count in networks.all_with_counts(session)
        if allowed is None or network.id in allowed
    ]
    if not rows:
        return [Reply(say("no_networks"), [[(label("back"), data("menu"))]])]
    rows.append([(label("back"), data("menu"))])
    return [Reply(say("networks"), rows)]


def show_network(session: Session, actor: Actor, args: list[str]) -> Result:
    network = _network(session, actor, args[0])
    assert network.id is not None
    members = networks.members(session, network.id)
    rows = [
        [(label("add_by_email"), data("network_members", network.id))],
        [(label("add_registrants"), data("network_from_event", network.id))],
        [(label("back"), data("networks"))],
    ]
    text = page(
        "network.html", network=network, members=members[:MEMBERS_SHOWN], total=len(members)
    )
    return [Reply(text, rows)]


def ask_emails(session: Session, actor: Actor, args: list[str]) -> Result:
    network = _network(session, actor, args[0])
    return [
        ask(
            session,
            actor,
            "members",
            say("ask_emails", network=network.name),
            network_id=network.id,
        )
    ]


def typed_emails(session: Session, actor: Actor, state: State, text: str) -> Result:
    answers = current(session, actor, "members")
    network = _network(session, actor, str(answers["network_id"]))
    assert network.id is not None
    done = networks.add_by_emails(session, network.id, text, roles.actor(actor.telegram_id))
    conversation.clear(session, actor.telegram_id)
    report = page(
        "members_added.html",
        network=network,
        added=done.added,
        already=done.already,
        unknown=done.unknown,
        invalid=done.invalid,
    )
    return [Reply(report), *show_network(session, actor, [str(network.id)])]


def choose_event(session: Session, actor: Actor, args: list[str]) -> Result:
    network = _network(session, actor, args[0])
    allowed = roles.visible_network_ids(session, actor.telegram_id)
    recent = list(
        session.exec(
            select(Event)
            .where(col(Event.starts_at) > utcnow() - RECENT, Event.status != EventStatus.CANCELLED)
            .order_by(col(Event.starts_at))
        )
    )
    if allowed is not None:
        recent = [
            e
            for e in recent
            if e.id is not None and set(events.network_ids(session, e.id)) & allowed
        ]
    rows = event_buttons(recent[:20], "network_from_event_add", network.id)
    rows.append([(label("back"), data("network", network.id))])
    return [Reply(say("registrants_which", network=network.name), rows)]


def add_registrants(session: Session, actor: Actor, args: list[str]) -> Result:
    network = _network(session, actor, args[0])
    event = checked_event(session, actor, Action.NETWORKS, args[1])
    assert network.id is not None and event.id is not None
    added = 0
    for _registration, person in registrations.for_event(
        session, event.id, RegistrationStatus.CONFIRMED
    ):
        if person.id is not None and person.erased_at is None:
            added += networks.add_member(
                session, network.id, person.id, roles.actor(actor.telegram_id)
            )
    done = Reply(say("registrants_added", count=added, network=network.name, title=event.title))
    return [done, *show_network(session, actor, [str(network.id)])]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("networks", Action.NETWORKS, list_networks),
    AdminRoute("network", Action.NETWORKS, show_network),
    AdminRoute("network_members", Action.NETWORKS, ask_emails),
    AdminRoute("network_from_event", Action.NETWORKS, choose_event),
    AdminRoute("network_from_event_add", Action.NETWORKS, add_registrants),
)
STEPS = (AdminStep("members", Action.NETWORKS, typed_emails),)
