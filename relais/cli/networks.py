"""``relais network …``: peer networks, their members, and inviting them to an event."""

from __future__ import annotations

import typer

from relais.cli.common import CLI_ACTOR, console, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.events import services as events
from relais.i18n import t
from relais.invitations import services as invitations
from relais.networks import services as networks
from relais.people import services as people

app = typer.Typer(help="Réseaux de pairs et leurs membres.", no_args_is_help=True)


@app.command("add")
@friendly
def add(
    name: str = typer.Argument(
        ..., help="Nom du réseau, par ex. « Réseau des référents PRE – 91 »."
    ),
    code: str | None = typer.Option(None, "--code", help="Code court (déduit du nom sinon)."),
    departement: str | None = typer.Option(None, "--departement", help="Code du département."),
) -> None:
    """Créer un réseau de pairs."""
    with session_scope() as session:
        network = networks.create(session, name, CLI_ACTOR, code=code, departement_code=departement)
    console.print(t("cli.network_created", name=network.name, code=network.code), markup=False)


@app.command("list")
@friendly
def list_networks() -> None:
    """Lister les réseaux et leur nombre de membres."""
    with session_scope() as session:
        rows = networks.all_with_counts(session)
    if not rows:
        console.print(t("cli.no_networks"), markup=False)
        return
    lines = [
        (network.code, network.name, network.departement_code or "", str(count))
        for network, count in rows
    ]
    print_table("cli.networks_columns", lines, title=t("cli.networks_title"))


@app.command("members")
@friendly
def members(
    network: str = typer.Argument(..., help="Code ou nom du réseau."),
    add: list[str] = typer.Option(
        [], "--ajouter", help="Ajouter une personne par son e-mail (répétable)."
    ),
) -> None:
    """Lister les membres d'un réseau, ou en ajouter par e-mail."""
    with session_scope() as session:
        found = networks.lookup(session, network)
        assert found.id is not None
        for email in add:
            person = people.by_email(session, people.normalize_email(email))
            if person is None or person.id is None:
                console.print(t("cli.member_unknown", email=email), markup=False)
                continue
            key = (
                "cli.member_added"
                if networks.add_member(session, found.id, person.id, CLI_ACTOR)
                else "cli.member_already"
            )
            console.print(t(key, name=person.full_name, network=found.name), markup=False)
        rows = networks.members(session, found.id)
    if not rows:
        console.print(t("cli.no_members"), markup=False)
        return
    lines = [(person.last_name, person.first_name, person.email or "") for person in rows]
    print_table("cli.members_columns", lines, title=found.name)


@app.command("invite")
@friendly
def invite(
    event: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    network: str = typer.Argument(..., help="Code ou nom du réseau."),
) -> None:
    """Inviter les membres d'un réseau (e-mail et Telegram) ; personne n'est invité deux fois."""
    with session_scope() as session:
        found_event = events.lookup(session, event)
        found_network = networks.lookup(session, network)
        assert found_event.id is not None and found_network.id is not None
        report = invitations.invite_network(session, found_event.id, found_network.id, CLI_ACTOR)
    console.print(
        t(
            "admin.invite_report",
            title=found_event.title,
            network=found_network.name,
            report=report,
        ),
        markup=False,
    )
