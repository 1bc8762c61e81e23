"""``relais reference …``: the lists coordinators edit (types of structure, profiles, themes)."""

from __future__ import annotations

import typer

from relais.cli.common import CLI_ACTOR, console, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.i18n import t
from relais.reference import editing

app = typer.Typer(
    help="Listes de référence : types de structure, profils professionnels, thématiques.",
    no_args_is_help=True,
)
LIST_HELP = "Liste : structures, profils ou thematiques."


@app.command("list")
@friendly
def list_entries(liste: str = typer.Argument(..., help=LIST_HELP)) -> None:
    """Afficher une liste, dans l'ordre où elle est proposée, avec son usage."""
    with session_scope() as session:
        chosen = editing.reference_list(liste)
        rows = editing.entries(session, chosen)
        lines = [
            (entry.name, t(f"cli.reference.{'offered' if entry.active else 'retired'}"), str(uses))
            for entry, uses in rows
        ]
    print_table("cli.reference.columns", lines, title=t(f"cli.reference.titles.{chosen.key}"))


@app.command("add")
@friendly
def add(
    liste: str = typer.Argument(..., help=LIST_HELP),
    nom: str = typer.Argument(..., help="Nom de la nouvelle entrée."),
) -> None:
    """Ajouter une entrée (un type de structure se place avant « Autre »)."""
    with session_scope() as session:
        entry = editing.add(session, liste, nom, CLI_ACTOR)
    console.print(t("cli.reference.added", name=entry.name), markup=False)


@app.command("rename")
@friendly
def rename(
    liste: str = typer.Argument(..., help=LIST_HELP),
    ancien: str = typer.Argument(..., help="Nom actuel."),
    nouveau: str = typer.Argument(..., help="Nouveau nom."),
) -> None:
    """Renommer une entrée (partout : profils des personnes, événements, chiffres)."""
    with session_scope() as session:
        entry = editing.rename(session, liste, ancien, nouveau, CLI_ACTOR)
    console.print(t("cli.reference.renamed", old=ancien, name=entry.name), markup=False)


@app.command("disable")
@friendly
def disable(
    liste: str = typer.Argument(..., help=LIST_HELP),
    nom: str = typer.Argument(..., help="Nom de l'entrée à retirer des choix."),
) -> None:
    """Retirer une entrée des choix ; les personnes et les chiffres passés la gardent."""
    with session_scope() as session:
        entry = editing.set_active(session, liste, nom, False, CLI_ACTOR)
    console.print(t("cli.reference.disabled", name=entry.name), markup=False)


@app.command("enable")
@friendly
def enable(
    liste: str = typer.Argument(..., help=LIST_HELP),
    nom: str = typer.Argument(..., help="Nom de l'entrée à proposer de nouveau."),
) -> None:
    """Proposer de nouveau une entrée retirée."""
    with session_scope() as session:
        entry = editing.set_active(session, liste, nom, True, CLI_ACTOR)
    console.print(t("cli.reference.enabled", name=entry.name), markup=False)
