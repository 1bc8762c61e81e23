"""``relais admin …``: who may use the coordinators' tools in the bot."""

from __future__ import annotations

import typer
from rich.table import Table

from relais import identifiers
from relais.cli.common import CLI_ACTOR, console, fail, friendly
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


@app.command("grant")
@friendly
def grant(
    telegram_id: int = typer.Argument(
        ...,
        min=1,
        max=identifiers.MAX_TELEGRAM_ID,
        help="Identifiant Telegram (numérique) de la personne.",
    ),
    role: str = typer.Option(
        "coordinateur", "--role", help="coordinateur (coordinator) ou administrateur."
    ),
    networks: list[str] = typer.Option(
        [], "--reseau", help="Limiter un coordinateur à ce réseau (répétable)."
    ),
) -> None:
    """Donner un rôle (ou le changer) à un compte Telegram."""
    chosen = _role(role)
    with session_scope() as session:
        roles.grant(session, telegram_id, chosen, CLI_ACTOR, networks)
    key = "admin.cli.granted_limited" if networks else "admin.cli.granted"
    console.print(
        t(key, telegram_id=telegram_id, role=t(f"admin.roles.{chosen.value}"),
          networks=", ".join(networks)),
        markup=False,
    )  # fmt: skip


@app.command("revoke")
@friendly
def revoke(
    telegram_id: int = typer.Argument(
        ..., min=1, max=identifiers.MAX_TELEGRAM_ID, help="Identifiant Telegram (numérique)."
    ),
) -> None:
    """Retirer son rôle à un compte Telegram (effet immédiat, même au milieu d'une action)."""
    with session_scope() as session:
        roles.revoke(session, telegram_id, CLI_ACTOR)
    console.print(t("admin.cli.revoked", telegram_id=telegram_id), markup=False)


@app.command("list")
@friendly
def list_roles() -> None:
    """Lister les administrateurs et les coordinateurs."""
    with session_scope() as session:
        views = roles.list_roles(session)
    if not views:
        console.print(t("admin.cli.no_roles"), markup=False)
        return
    table = Table(title=t("admin.cli.roles_title"))
    for column in t("admin.cli.roles_columns").split("|"):
        table.add_column(column)
    for view in views:
        table.add_row(
            str(view.telegram_id),
            view.person_name,
            t(f"admin.roles.{view.role.value}"),
            ", ".join(view.network_names) or t("admin.cli.all_networks"),
            t("admin.cli.from_settings") if view.from_settings else t("admin.cli.from_table"),
        )
    console.print(table)
