"""``relais registrations …``: who registered to an event, on screen or as a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import typer

from relais.access.services import ProfileInput
from relais.cli.common import CLI_ACTOR, console, fail, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.errors import InvalidInput
from relais.events import services as events
from relais.i18n import os_reason, t
from relais.people import services as people
from relais.reference import services as reference
from relais.reference.models import Departement
from relais.registrations import export as exports
from relais.registrations import manual

app = typer.Typer(help="Inscriptions à un événement.", no_args_is_help=True)


@app.command("list")
@friendly
def list_registrations(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
) -> None:
    """Afficher les inscrits, la liste d'attente et les annulations."""
    with session_scope() as session:
        event = events.lookup(session, code)
        assert event.id is not None
        found = exports.lines(session, event.id)
        counts = events.counts(session, event.id)
    console.print(
        t("admin.cli.registrations_counts", title=event.title, confirmed=counts.confirmed,
          waitlisted=counts.waitlisted, cancelled=counts.cancelled),
        markup=False,
    )  # fmt: skip
    if not found:
        return
    rows = [
        (
            line.person.last_name, line.person.first_name, line.person.email or "",
            line.organisation, line.status_label, line.position_label, line.answer,
        )
        for line in found
    ]  # fmt: skip
    print_table("admin.cli.registrations_columns", rows)


@app.command("export")
@friendly
def export(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    kind: str = typer.Option("xlsx", "--format", help="xlsx (tableur) ou csv."),
    output: Path | None = typer.Option(
        None, "--sortie", "-o", help="Fichier à écrire (par défaut inscriptions-CODE.xlsx)."
    ),
) -> None:
    """Exporter la liste des inscriptions en XLSX ou CSV (sans formules exécutables)."""
    chosen = kind.strip().lower()
    if chosen not in ("xlsx", "csv"):
        raise fail(t("admin.cli.export_format", value=kind[:20]))
    with session_scope() as session:
        event = events.lookup(session, code)
        name, content = exports.export(session, event, chosen, CLI_ACTOR)
    target = output or Path(name)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise fail(
            t("admin.cli.export_unwritable", file=str(target), reason=os_reason(error))
        ) from None
    console.print(t("admin.cli.exported", file=str(target)), markup=False)


@app.command("add")
@friendly
def add(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    email: str = typer.Option(..., "--email", help="Adresse e-mail de la personne."),
    last_name: str = typer.Option(..., "--nom", help="Nom."),
    first_name: str = typer.Option(..., "--prenom", help="Prénom."),
    organisation: str = typer.Option(..., "--structure", help="Structure (employeur)."),
    profile: str = typer.Option(..., "--profil", help="Profil professionnel (liste de référence)."),
    departement: str = typer.Option(..., "--departement", help="Département où elle travaille."),
    phone: str = typer.Option("", "--telephone", help="Téléphone (facultatif)."),
    kind: str = typer.Option(
        "", "--type-structure", help="Type de structure (liste de référence, facultatif)."
    ),
) -> None:
    """Inscrire une personne à la main (un appel téléphonique) : elle reçoit la confirmation
    et l'invitation habituelles ; une adresse déjà connue garde son profil enregistré."""
    with session_scope() as session:
        if session.get(Departement, departement.strip()) is None:
            raise InvalidInput("unknown_departement", value=departement[:10])
        typed = ProfileInput(
            email=people.normalize_email(email),
            first_name=people.clean_name(first_name, "prénom"),
            last_name=people.clean_name(last_name, "nom"),
            organisation=people.clean_name(organisation, "structure", 200),
            profile_id=reference.profile_named(session, profile).id or 0,
            departement_code=departement.strip(),
            phone=people.clean_phone(phone) if phone.strip() else None,
            structure_type_id=reference.structure_type_named(session, kind).id
            if kind.strip() else None,
        )  # fmt: skip
        event = events.lookup(session, code)
        assert event.id is not None
        outcome = manual.add(session, event.id, typed, CLI_ACTOR)
        key = "admin.cli.added" if outcome.confirmed else "admin.cli.added_waiting"
        message = t(key, email=typed.email, title=event.title, position=outcome.position)
    console.print(message, markup=False)
