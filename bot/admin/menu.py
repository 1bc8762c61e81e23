"""``/admin``: the menu, the list of events a coordinator may act on, an event's card."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot import conversation
from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, back, data, label, page, say
from bot.texts import Button, Reply, short
from relais import identifiers
from relais.access import links
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.invitations import services as invitations
from relais.networks.models import Network
from relais.roles import services as roles
from relais.roles.services import Action
from relais.settings import get_settings

PAGE_SIZE = 8


def menu_reply(edit: bool = False) -> Reply:
    buttons: list[list[Button]] = [
        [(label("new_event"), data("event_new")), (label("new_cycle"), data("cycle_new"))],
        [(label("events"), data("events", 0)), (label("today"), data("today"))],
        [(label("networks"), data("networks")), (label("broadcast"), data("broadcast"))],
        [(label("lists"), data("lists"))],
    ]
    return Reply(say("menu"), buttons, edit=edit)


def show_menu(session: Session, actor: Actor, args: list[str]) -> Result:
    return [menu_reply()]


def abandon(session: Session, actor: Actor, args: list[str]) -> Result:
    """Leave the current admin step (nothing typed so far is kept)."""
    conversation.clear(session, actor.telegram_id)
    return [Reply(say("abandoned")), menu_reply()]


def visible_events(session: Session, actor: Actor) -> list[Event]:
    """Upcoming events, drafts included, limited to the coordinator's networks if they are."""
    allowed = roles.visible_network_ids(session, actor.telegram_id)
    found = events.upcoming(session, include_drafts=True)
    if allowed is None:
        return found
    return [
        e for e in found if e.id is not None and set(events.network_ids(session, e.id)) & allowed
    ]


def event_buttons(found: list[Event], route_name: str, *extra: object) -> list[list[Button]]:
    return [
        [(f"{short(e.title, 34)} · {e.starts_at.astimezone(get_settings().tz):%d/%m}",
          data(route_name, *extra, e.id))]
        for e in found
    ]  # fmt: skip


def admin_networks(session: Session, actor: Actor) -> list[Network]:
    allowed = roles.visible_network_ids(session, actor.telegram_id)
    found = list(session.exec(select(Network).order_by(col(Network.name))))
    return [n for n in found if allowed is None or n.id in allowed]


def list_events(session: Session, actor: Actor, args: list[str]) -> Result:
    number = identifiers.number(args[0]) if args else 0
    found = visible_events(session, actor)
    chunk = found[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
    if not chunk:
        return [Reply(say("no_events"), [back(data("menu"))])]
    buttons = event_buttons(chunk, "event")
    paging: list[Button] = []
    if number:
        paging.append((label("previous"), data("events", number - 1)))
    if len(found) > (number + 1) * PAGE_SIZE:
        paging.append((label("next"), data("events", number + 1)))
    buttons += [paging] if paging else []
    buttons.append(back(data("menu")))
    return [Reply(say("events", count=len(found)), buttons, edit=bool(args))]


def card(session: Session, event: Event) -> str:
    assert event.id is not None
    invited = invitations.invitation_counts(session, event.id)
    return page(
        "event_card.html",
        event=event,
        place=events.place_label(event),
        counts=events.counts(session, event.id),
        status=say(f"statuses.{event.status.value}"),
        invited_email=invited.get(invitations.EMAIL, 0),
        invited_telegram=invited.get(invitations.TELEGRAM, 0),
        link=links.event_telegram_link(event) or links.event_page(event),
    )


def card_reply(session: Session, event: Event, *, edit: bool = False) -> Reply:
    assert event.id is not None
    rows: list[list[Button]] = []
    if event.status != EventStatus.CANCELLED:
        rows.append(
            [
                (label("edit"), data("event_edit", event.id)),
                (label("registrations"), data("registrations", event.id)),
            ]
        )
        if event.status == EventStatus.DRAFT:
            rows.append([(label("publish"), data("event_publish", event.id))])
        else:
            rows.append([(label("invite"), data("invite", event.id))])
    rows.append([(label("duplicate"), data("event_copy", event.id))])
    if event.status != EventStatus.CANCELLED:
        rows.append([(label("cancel_event"), data("event_cancel", event.id))])
    rows.append(back(data("events", 0), "events"))
    return Reply(card(session, event), rows, edit=edit)


def checked_event(session: Session, actor: Actor, action: Action, raw_id: str) -> Event:
    """The event of a button, after checking this admin may act on it."""
    event_id = identifiers.number(raw_id)
    roles.require_event(session, actor.telegram_id, action, event_id)
    return events.get(session, event_id)


def show_event(session: Session, actor: Actor, args: list[str]) -> Result:
    return [card_reply(session, checked_event(session, actor, Action.MENU, args[0]))]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("menu", Action.MENU, show_menu),
    AdminRoute("abandon", Action.MENU, abandon),
    AdminRoute("events", Action.MENU, list_events),
    AdminRoute("event", Action.MENU, show_event),
)
STEPS: tuple[AdminStep, ...] = ()
