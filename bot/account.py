"""What a person does with their own data: registrations, profile, export, erasure."""

from __future__ import annotations

from bot.actor import Actor, linked_person
from bot.buttons import data
from bot.texts import Reply, label, page, problem, say, short, trusted
from relais.db import session_scope
from relais.errors import DomainError
from relais.events import services as events
from relais.people import erasure
from relais.people import export as data_export
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import format_range, short_day

MAX_LISTED = 10
MENU = (label("menu"), data("menu"))
EVENTS = (label("events"), data("events", 0, None, None, None))


class Stale(Exception):
    """A button about something that is no longer there (or not this person's)."""


def _not_known() -> list[Reply]:
    return [Reply(say("not_known"), [[EVENTS, MENU]])]


def my_registrations(actor: Actor) -> list[Reply]:
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        if person is None or person.id is None:
            return _not_known()
        rows = registrations.for_person(session, person.id)
        if not rows:
            return [Reply(say("no_registrations"), [[EVENTS, MENU]])]
        hidden = max(0, len(rows) - MAX_LISTED)
        rows = rows[:MAX_LISTED]
        lines = []
        for registration, event in rows:
            if registration.status == RegistrationStatus.CONFIRMED:
                status = say("registration_label.confirmed")
            else:
                place = registrations.position(session, registration)
                status = say("registration_label.waitlisted", position=place)
            lines.append(
                {
                    "title": event.title,
                    "when": format_range(event.starts_at, event.ends_at),
                    "status": trusted(status),
                }
            )
        buttons = [
            [
                (
                    label(
                        "unsubscribe", title=short(event.title, 24), day=short_day(event.starts_at)
                    ),
                    data("cancel", registration.id),
                )
            ]
            for registration, event in rows
        ]
        text = page("registrations.html", lines=lines, hidden=hidden)
        return [Reply(text, [*buttons, [MENU]])]


def _own_registration(actor: Actor, registration_id: int) -> tuple[Registration, str, str]:
    """The live registration if it is this person's: (row, title, when); Stale otherwise."""
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        registration = session.get(Registration, registration_id)
        if (
            person is None
            or registration is None
            or registration.person_id != person.id
            or registration.status == RegistrationStatus.CANCELLED
        ):
            raise Stale
        event = events.get(session, registration.event_id)
        return registration, event.title, format_range(event.starts_at, event.ends_at)


def ask_unsubscribe(actor: Actor, registration_id: int) -> list[Reply]:
    _registration, title, when = _own_registration(actor, registration_id)
    buttons = [
        [
            (label("unsubscribe_yes"), data("cancel.yes", registration_id)),
            (label("keep"), data("cancel.no")),
        ]
    ]
    return [Reply(say("unsubscribe_confirm", title=title, when=when), buttons, edit=True)]


def unsubscribe(actor: Actor, registration_id: int) -> list[Reply]:
    _registration, title, _when = _own_registration(actor, registration_id)
    try:
        with session_scope() as session:
            registrations.cancel(session, registration_id, actor.audit)
    except DomainError as error:
        return [Reply(problem(error), edit=True)]
    return [
        Reply(say("unsubscribed", title=title), [[(label("mine"), data("mine")), MENU]], edit=True)
    ]


def profile(actor: Actor) -> list[Reply]:
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        if person is None:
            return _not_known()
        view = data_export.profile_view(session, person)
        text = page(
            "profile.html", person=person, organisation=view.structure, profile=view.profile,
            structure_type=view.structure_type, departement=view.departement,
        )  # fmt: skip
        buttons = [
            [(label("structure_type"), data("type.change"))],
            [(label("edit_profile"), data("not_me"))],
            [MENU],
        ]
        return [Reply(text, buttons)]


def export(actor: Actor) -> list[Reply]:
    """Everything stored about the person (RGPD access), as a JSON document."""
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        if person is None or person.id is None:
            return _not_known()
        content = data_export.export_json(session, person.id)
    return [Reply(say("export_caption"), document=(data_export.FILENAME, content))]


def ask_erase(actor: Actor) -> list[Reply]:
    with session_scope() as session:
        if linked_person(session, actor.telegram_id) is None:
            return _not_known()
    buttons = [
        [(label("erase_yes"), data("erase", "y"))],
        [(label("erase_no"), data("erase", "n"))],
    ]
    return [Reply(say("erase_confirm"), buttons)]


def erase(actor: Actor, confirmed: bool) -> list[Reply]:
    if not confirmed:
        return [Reply(say("kept"), [[MENU]], edit=True)]
    with session_scope() as session:
        person = linked_person(session, actor.telegram_id)
        if person is None or person.id is None:
            raise Stale
        erasure.erase(session, person.id, actor.audit)
    return [Reply(say("erased"), edit=True)]
