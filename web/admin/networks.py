"""« Réseaux »: the networks a coordinator manages, their members (search, add by address,
remove), and inviting a network to an event.

The same core services as the bot's admin menu and ``relais network …``: the
invitation goes through :func:`relais.invitations.services.invite_network`,
whose ``NetworkInvited`` signal each channel (e-mail, Telegram) answers, so
nobody is invited twice to an event on the same channel, whoever asked.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers
from relais.errors import NotFound
from relais.events import listing
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.i18n import t
from relais.invitations import services as invitations
from relais.networks import services as networks
from relais.networks.models import Network
from relais.roles import services as roles
from relais.roles.services import Action
from relais.timefmt import utcnow
from web.admin.base import Form, Staff, page, redirect, require_event, sentence

MEMBERS_SHOWN = 200


def _network(session: Session, staff: Staff, request: Request, action: Action) -> Network:
    """The network of the URL, once the role allows ``action`` on it (before it is read)."""
    number = identifiers.parse(str(request.path_params["network"]), minimum=1)
    roles.require_principal(session, staff.principal, action, network_id=number or 0)
    if number is None:
        raise NotFound("network_not_found", name="?")
    return networks.lookup(session, str(number))


def network_list(request: Request, session: Session, staff: Staff) -> Response:
    roles.require_principal(session, staff.principal, Action.NETWORKS)
    allowed = staff.grant.networks
    rows = [
        (network, count)
        for network, count in networks.all_with_counts(session)
        if allowed is None or network.id in allowed
    ]
    return page(request, "networks.html", staff=staff, rows=rows)


def _invitable(session: Session, staff: Staff) -> list[Event]:
    """Published events still to start that this coordinator may invite people to."""
    filters = listing.EventFilters(period="a-venir", status=EventStatus.PUBLISHED)
    now = utcnow()
    return [
        row.event
        for row in listing.find(session, staff.grant.networks, filters)
        if row.event.starts_at > now
    ]


def network_page(request: Request, session: Session, staff: Staff) -> Response:
    network = _network(session, staff, request, Action.NETWORKS)
    return _members_page(request, session, staff, network)


def _members_page(
    request: Request, session: Session, staff: Staff, network: Network, status_code: int = 200,
    **context: object,
) -> Response:  # fmt: skip
    assert network.id is not None
    typed = request.query_params.get("q", "")[:100]
    context.setdefault("errors", {})
    context.setdefault("report", None)
    return page(
        request, "network.html", status_code, staff=staff, network=network, q=typed,
        members=networks.find_members(session, network.id, typed, MEMBERS_SHOWN),
        total=networks.member_count(session, network.id), shown=MEMBERS_SHOWN,
        invitable=_invitable(session, staff), done=request.query_params.get("fait", ""),
        **context,
    )  # fmt: skip


def add_members(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """Addresses typed or pasted (one a line, or separated by commas): known people join."""
    network = _network(session, staff, request, Action.NETWORKS)
    assert network.id is not None
    typed = form.get("adresses")
    if not typed.strip():
        errors = {"adresses": sentence(t("web_admin.members_none_typed"))}
        return _members_page(request, session, staff, network, 422, errors=errors)
    report = networks.add_by_emails(session, network.id, typed, staff.actor)
    return _members_page(request, session, staff, network, report=report)


def remove_member(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    network = _network(session, staff, request, Action.NETWORKS)
    assert network.id is not None
    person_id = identifiers.parse(form.get("personne"), minimum=1)
    if person_id is None or not networks.remove_member(session, network.id, person_id, staff.actor):
        raise NotFound("web_admin.member_not_found")
    return redirect(f"/gestion/reseaux/{network.id}?fait=retrait")


def _invitation(
    request: Request, session: Session, staff: Staff, raw_event: str
) -> tuple[Network, Event]:
    """The network and the event, each checked for ``INVITE``, the event still invitable."""
    network = _network(session, staff, request, Action.INVITE)
    event_id = identifiers.parse(raw_event, minimum=1)
    require_event(session, staff, Action.INVITE, event_id or 0)
    if event_id is None:
        raise NotFound("event_not_found", code="?")
    event = events.get(session, event_id)
    invitations.check_invitable(event)
    return network, event


def invite_preview(request: Request, session: Session, staff: Staff) -> Response:
    """Who the invitation will reach, before it leaves (as the bot shows it)."""
    network, event = _invitation(request, session, staff, request.query_params.get("evenement", ""))
    assert network.id is not None and event.id is not None
    members = networks.members(session, network.id)
    targets = invitations.targets(session, event.id, network.id)
    invited = invitations.invited_ids(session, event.id)
    fresh = [p for p in targets if p.id not in invited]
    return page(
        request, "invite.html", staff=staff, network=network, event=event,
        place=events.place_label(event), members=len(members),
        registered=len(members) - len(targets), already=len(targets) - len(fresh),
        by_email=sum(1 for p in fresh if p.email and not p.email_invalid),
        by_telegram=sum(1 for p in fresh if p.telegram_id and not p.telegram_blocked),
    )  # fmt: skip


def invite(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    network, event = _invitation(request, session, staff, form.get("evenement"))
    assert network.id is not None and event.id is not None
    report = invitations.invite_network(session, event.id, network.id, staff.actor)
    return page(
        request, "invite_done.html", staff=staff, network=network, event=event, report=report
    )
