"""Roles and permission checks, made at the moment of each action, on both databases."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from relais.audit import AuditEntry
from relais.cli.main import app
from relais.errors import InvalidInput, NotFound
from relais.roles import services as roles
from relais.roles.models import Role, RoleGrant, RoleNetwork
from relais.roles.services import Action, PermissionDenied
from tests.admin.conftest import make_network
from tests.factories import make_event

COORDINATOR = 2000
STRANGER = 3000


def test_stranger_is_refused_with_the_same_sentence_everywhere(session: Session) -> None:
    for action in Action:
        with pytest.raises(PermissionDenied) as refused:
            roles.require(session, STRANGER, action)
        assert refused.value.message == "Commande réservée aux coordinateurs."
    with pytest.raises(PermissionDenied):
        roles.require_event(session, STRANGER, Action.EVENT_EDIT, 424242)


def test_settings_administrator_may_do_everything(session: Session, admin_id: int) -> None:
    network = make_network(session, "Réseau des référents PRE – 91")
    for action in Action:
        grant = roles.require(session, admin_id, action, network_id=network.id)
        assert grant.role == Role.ADMINISTRATOR and grant.from_settings
    with pytest.raises(InvalidInput) as refused:
        roles.revoke(session, admin_id, "test")
    assert ".env" in refused.value.message


def test_coordinator_may_not_manage_roles(session: Session) -> None:
    roles.grant(session, COORDINATOR, Role.COORDINATOR, "test")
    session.commit()
    assert roles.require(session, COORDINATOR, Action.BROADCAST).networks is None
    with pytest.raises(PermissionDenied):
        roles.require(session, COORDINATOR, Action.ROLES)


def test_limited_coordinator_acts_only_on_their_networks(session: Session) -> None:
    mine = make_network(session, "Réseau des médiateurs – 93")
    other = make_network(session, "Réseau des référents PRE – 91")
    roles.grant(session, COORDINATOR, Role.COORDINATOR, "test", [mine.code])
    session.commit()
    own_event = make_event(session, networks=[mine.code])
    other_event = make_event(session, networks=[other.code])
    assert own_event.id is not None and other_event.id is not None
    assert roles.require(session, COORDINATOR, Action.INVITE, network_id=mine.id)
    with pytest.raises(PermissionDenied):
        roles.require(session, COORDINATOR, Action.INVITE, network_id=other.id)
    assert roles.require_event(session, COORDINATOR, Action.EVENT_EDIT, own_event.id)
    with pytest.raises(PermissionDenied):
        roles.require_event(session, COORDINATOR, Action.EVENT_EDIT, other_event.id)
    assert roles.visible_network_ids(session, COORDINATOR) == {mine.id}


def test_revocation_takes_effect_at_the_next_check(session: Session) -> None:
    network = make_network(session, "Réseau des médiateurs – 93")
    roles.grant(session, COORDINATOR, Role.COORDINATOR, "test", [network.code])
    session.commit()
    assert roles.require(session, COORDINATOR, Action.EVENT_CREATE)
    roles.revoke(session, COORDINATOR, "test")
    session.commit()
    with pytest.raises(PermissionDenied):
        roles.require(session, COORDINATOR, Action.EVENT_CREATE)
    assert session.exec(select(RoleNetwork)).all() == []


def test_bad_grants_write_nothing(session: Session) -> None:
    with pytest.raises(NotFound):
        roles.grant(session, COORDINATOR, Role.COORDINATOR, "test", ["inconnu"])
    session.rollback()
    with pytest.raises(InvalidInput):
        roles.grant(session, -5, Role.COORDINATOR, "test")
    make_network(session, "Réseau des médiateurs – 93")
    with pytest.raises(InvalidInput) as refused:
        roles.grant(session, COORDINATOR, Role.ADMINISTRATOR, "test", ["reseau-des-mediateurs-93"])
    assert "coordinateur" in refused.value.message
    session.rollback()
    assert session.exec(select(RoleGrant)).all() == []
    with pytest.raises(NotFound):
        roles.revoke(session, COORDINATOR, "test")


def test_role_changes_and_refusals_are_audited(session: Session) -> None:
    roles.grant(session, COORDINATOR, Role.COORDINATOR, "cli")
    roles.revoke(session, COORDINATOR, "cli")
    session.commit()
    roles.record_denied(STRANGER, Action.BROADCAST)
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
    actions = [(e.actor, e.action) for e in entries]
    assert actions == [
        ("cli", "role.granted"),
        ("cli", "role.revoked"),
        (f"telegram:{STRANGER}", "admin.denied"),
    ]
    assert json.loads(entries[-1].details) == {"attempted": "broadcast"}


def test_cli_grant_list_revoke(session: Session) -> None:
    runner = CliRunner()
    make_network(session, "Réseau des médiateurs – 93")
    granted = runner.invoke(
        app, ["admin", "grant", str(COORDINATOR), "--role", "coordinateur",
              "--reseau", "reseau-des-mediateurs-93"],
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert "limité aux réseaux : reseau-des-mediateurs-93" in granted.output
    listing = runner.invoke(app, ["admin", "list"])
    assert str(COORDINATOR) in listing.output and "médiateurs" in listing.output
    wrong = runner.invoke(app, ["admin", "grant", "12", "--role", "chef"])
    assert wrong.exit_code == 1 and "rôle « chef » inconnu" in wrong.output
    revoked = runner.invoke(app, ["admin", "revoke", str(COORDINATOR)])
    assert revoked.exit_code == 0 and "n'a plus de rôle" in revoked.output
    again = runner.invoke(app, ["admin", "revoke", str(COORDINATOR)])
    assert again.exit_code == 1 and "n'a aucun rôle" in again.output
