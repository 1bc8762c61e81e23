"""An event's registrations: counts, the list, the XLSX file, moving people off the waiting list."""

from __future__ import annotations

from sqlmodel import Session

from bot.actor import Actor
from bot.admin.common import AdminRoute, AdminStep, Result, data, label, page, say
from bot.admin.menu import checked_event
from bot.texts import Button, Reply, short
from relais import identifiers
from relais.events import services as events
from relais.people import services as people
from relais.registrations import export as exports
from relais.registrations import services as registrations
from relais.registrations.models import RegistrationStatus
from relais.roles import services as roles
from relais.roles.services import Action

LIST_PAGE = 40
WAITING_SHOWN = 20


def overview(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.REGISTRATIONS, args[0])
    assert event.id is not None
    counts = events.counts(session, event.id)
    rows: list[list[Button]] = [
        [
            (label("list"), data("registrations_list", event.id, 0)),
            (label("xlsx"), data("registrations_export", event.id)),
        ],
    ]
    if counts.waitlisted:
        rows.append([(label("waiting"), data("waiting_list", event.id))])
    open_key = "close" if event.registrations_open else "reopen"
    rows.append(
        [
            (
                label(open_key),
                data("event_open_close", event.id, 0 if event.registrations_open else 1),
            )
        ]
    )
    rows.append([(label("back"), data("event", event.id))])
    text = say("registrations", title=event.title, confirmed=counts.confirmed,
               capacity=event.capacity, waitlisted=counts.waitlisted, cancelled=counts.cancelled)  # fmt: skip
    return [Reply(text, rows)]


def full_list(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.REGISTRATIONS, args[0])
    assert event.id is not None
    number = identifiers.number(args[1])
    found = exports.lines(session, event.id)
    chunk = found[number * LIST_PAGE : (number + 1) * LIST_PAGE]
    paging: list[Button] = []
    if number:
        paging.append((label("previous"), data("registrations_list", event.id, number - 1)))
    if len(found) > (number + 1) * LIST_PAGE:
        paging.append((label("next"), data("registrations_list", event.id, number + 1)))
    rows = [paging] if paging else []
    rows.append([(label("back"), data("registrations", event.id))])
    text = page("registrations.html", event=event, lines=chunk, first=number * LIST_PAGE)
    return [Reply(text, rows, edit=number > 0)]


def spreadsheet(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.REGISTRATIONS, args[0])
    name, content = exports.export(session, event, "xlsx", roles.actor(actor.telegram_id))
    return [Reply(say("xlsx_caption", title=event.title), document=(name, content))]


def waiting_list(session: Session, actor: Actor, args: list[str]) -> Result:
    event = checked_event(session, actor, Action.REGISTRATIONS, args[0])
    assert event.id is not None
    waiting = registrations.for_event(session, event.id, RegistrationStatus.WAITLISTED)
    rows: list[list[Button]] = [
        [
            (
                label("promote", position=position, name=short(person.full_name, 30)),
                data("promote", registration.id),
            )
        ]
        for position, (registration, person) in enumerate(waiting[:WAITING_SHOWN], start=1)
    ]
    rows.append([(label("back"), data("registrations", event.id))])
    return [Reply(say("waiting", title=event.title, count=len(waiting)), rows)]


def promote(session: Session, actor: Actor, args: list[str]) -> Result:
    registration = registrations.get(session, identifiers.number(args[0]))
    event = checked_event(session, actor, Action.REGISTRATIONS, str(registration.event_id))
    assert registration.id is not None
    promoted = registrations.promote(session, registration.id, roles.actor(actor.telegram_id))
    person = people.get(session, promoted.person_id)
    done = Reply(say("promoted", name=person.full_name, title=event.title))
    return [done, *waiting_list(session, actor, [str(event.id)])]


#: This area's buttons and typed steps, joined by :mod:`bot.admin.handlers`.
ROUTES = (
    AdminRoute("registrations", Action.REGISTRATIONS, overview),
    AdminRoute("registrations_list", Action.REGISTRATIONS, full_list),
    AdminRoute("registrations_export", Action.REGISTRATIONS, spreadsheet),
    AdminRoute("waiting_list", Action.REGISTRATIONS, waiting_list),
    AdminRoute("promote", Action.REGISTRATIONS, promote),
)
STEPS: tuple[AdminStep, ...] = ()
