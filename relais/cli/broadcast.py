"""``relais broadcast NETWORK FILE``: a short Telegram message to a network's members."""

from __future__ import annotations

from pathlib import Path

import typer

from relais import signals
from relais.cli.common import CLI_ACTOR, console, fail, friendly
from relais.db import session_scope
from relais.i18n import os_reason, t
from relais.invitations import services as invitations
from relais.networks import services as networks


@friendly
def broadcast(
    network: str = typer.Argument(..., help="Code ou nom du réseau."),
    file: Path = typer.Argument(..., help="Fichier texte (UTF-8) contenant le message."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Envoyer sans demander confirmation."),
) -> None:
    """Envoyer un court message Telegram aux membres d'un réseau (aperçu puis confirmation)."""
    try:
        text = invitations.clean_broadcast_text(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise fail(
            t("admin.cli.broadcast_unreadable", file=str(file), reason=os_reason(error))
        ) from None
    if not signals.has_subscribers(signals.BroadcastRequested):
        raise fail(t("admin.cli.broadcast_no_channel"))
    with session_scope() as session:
        found = networks.lookup(session, network)
        assert found.id is not None
        count = len(invitations.telegram_recipients(session, found.id))
    console.print(t("admin.cli.broadcast_preview", network=found.name, count=count), markup=False)
    console.print(text, markup=False)
    if count == 0:
        raise fail(t("admin.broadcast_nobody"))
    if not yes and not typer.confirm(t("admin.cli.broadcast_confirm", count=count)):
        console.print(t("admin.cli.broadcast_aborted"), markup=False)
        raise typer.Exit(1)
    with session_scope() as session:
        row = invitations.broadcast(session, found.id, text, CLI_ACTOR)
    console.print(t("admin.cli.broadcast_queued", count=row.recipients), markup=False)
