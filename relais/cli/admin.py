"""``relais admin …``: who may use the coordinators' tools in the bot."""

from __future__ import annotations

import typer

from relais import identifiers
from relais.cli.common import CLI_ACTOR, console, fail, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.i18n import t
from relais.roles import services as roles
from relais.roles.models import Role

app = typer.Typer(help="Administrateurs et coordinateurs du bot.", no_args_is_help=True)

ROLE_NAMES = {"coordinateur": Role.COORDINATOR, "coordinator": Role.COORDINATOR,
              "administrateur": Role.ADMINISTRATOR, "administrator": Role.ADMINISTRATOR}  # fmt: skip


def _role(name: str) -> Role:
    found = ROLE_NAMES.get(name.strip().lower())
    if found is None:
        raise fail(t("admin.cli.role_unknown", value=name[:30]))
    return found


def _who(text: str) -> int | str:
    """A Telegram id (digits) or an e-mail address (it signs in to the web back office)."""
    if "@" in text:
        return text.strip()
    number = identifiers.parse(text.strip(), minimum=1, maximum=identifiers.MAX_TELEGRAM_ID)
    if number is None:
        raise fail(t("admin.cli.who_invalid", value=text[:40]))
    return number


@app.command("grant")
@friendly
def grant(
    who: str = typer.Argument(
        ...,
        metavar="IDENTIFIANT",
        help="Identifiant Telegram (numérique) ou adresse e-mail de la personne.",
    ),
    role: str = typer.Option(
        "coordinateur", "--role", help="coordinateur (coordinator) ou administrateur."
    ),
    networks: list[str] = typer.Option(
        [], "--reseau", help="Limiter un coordinateur à ce réseau (répétable)."
    ),
) -> None:
    """Donner un rôle (ou le changer) à un compte Telegram ou à une adresse e-mail.

    Une adresse e-mail permet de se connecter à l'espace de gestion (/gestion)."""
    chosen = _role(role)
    target = _who(who)
    with session_scope() as session:
        if isinstance(target, int):
            roles.grant(session, target, chosen, CLI_ACTOR, networks)
        else:
            target = roles.grant_email(session, target, chosen, CLI_ACTOR, networks).email
    key = "admin.cli.granted_limited" if networks else "admin.cli.granted"
    console.print(
        t(key, telegram_id=target, role=t(f"admin.roles.{chosen.value}"),
          networks=", ".join(networks)),
        markup=False,
    )  # fmt: skip


@app.command("revoke")
@friendly
def revoke(
    who: str = typer.Argument(
        ..., metavar="IDENTIFIANT", help="Identifiant Telegram (numérique) ou adresse e-mail."
    ),
) -> None:
    """Retirer son rôle à un compte Telegram ou à une adresse (effet immédiat)."""
    target = _who(who)
    with session_scope() as session:
        if isinstance(target, int):
            roles.revoke(session, target, CLI_ACTOR)
        else:
            roles.revoke_email(session, target, CLI_ACTOR)
    console.print(t("admin.cli.revoked", telegram_id=target), markup=False)


@app.command("list")
@friendly
def list_roles() -> None:
    """Lister les administrateurs et les coordinateurs."""
    with session_scope() as session:
        views = roles.list_roles(session)
        by_email = [
            (row.email, t(f"admin.roles.{row.role.value}"), names)
            for row, names in roles.list_email_roles(session)
        ]
    if not views and not by_email:
        console.print(t("admin.cli.no_roles"), markup=False)
        return
    rows = [
        (
            str(view.telegram_id),
            view.person_name,
            t(f"admin.roles.{view.role.value}"),
            ", ".join(view.network_names) or t("admin.cli.all_networks"),
            t("admin.cli.from_settings") if view.from_settings else t("admin.cli.from_table"),
        )
        for view in views
    ]
    rows += [
        (email, "", role_name, ", ".join(names) or t("admin.cli.all_networks"),
         t("admin.cli.from_table"))
        for email, role_name, names in by_email
    ]  # fmt: skip
    print_table("admin.cli.roles_columns", rows, title=t("admin.cli.roles_title"))
