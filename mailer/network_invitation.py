"""The e-mail side of inviting a network (``NetworkInvited``), a plugin of its own (``admin_mail``).

Each member with a usable address gets one invitation e-mail with the
registration link, recorded with :func:`relais.invitations.services.record`
so that a second round skips them. Rendered at send time like every kind.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlmodel import Session

from mailer import compose
from mailer.kinds import Unrenderable
from mailer.models import OutboxMessage
from mailer.notify import mail_address
from mailer.outbox import enqueue, register_renderer
from relais import signals
from relais.access import links
from relais.events.models import Event
from relais.events.services import place_label
from relais.i18n import t
from relais.invitations import services as invitations
from relais.networks import services as networks
from relais.people.models import Person
from relais.timefmt import format_range

KIND = "network_invitation"


def render(session: Session, row: OutboxMessage) -> EmailMessage:
    event = session.get(Event, row.payload.get("event_id"))
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    if event is None or person is None or person.erased_at is not None:
        raise Unrenderable(f"{row.kind} #{row.id}: event or person gone")
    context = {
        "event": event,
        "person": person,
        "when": format_range(event.starts_at, event.ends_at),
        "place": event.venue or place_label(event),
        "link": "",
        "register_link": links.register_link(event),
        "telegram": links.telegram_enabled(),
        "network": str(row.payload.get("network", "")),
    }
    text, html = compose.render_parts(KIND, **context)
    return compose.message(
        subject=t("admin.mail.invitation_subject", event=event), text=text, html=html,
        transactional=False,
    )  # fmt: skip


def on_network_invited(session: Session, invited: signals.NetworkInvited) -> None:
    network = networks.lookup(session, str(invited.network_id))
    for person in invitations.targets(
        session, invited.event_id, invited.network_id, invitations.EMAIL
    ):
        address = mail_address(person)
        if address is None or person.id is None:
            continue
        if invitations.record(
            session, event_id=invited.event_id, person_id=person.id, channel=invitations.EMAIL,
            batch=invited.batch, actor=invited.actor, network_id=invited.network_id,
        ):  # fmt: skip
            enqueue(
                session,
                kind=KIND,
                to=address,
                idempotency_key=f"{KIND}:{invited.event_id}:{person.id}",
                person_id=person.id,
                payload={"event_id": invited.event_id, "network": network.name},
            )


def subscribe() -> None:
    register_renderer(KIND, render)
    signals.on(signals.NetworkInvited, on_network_invited)
