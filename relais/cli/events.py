"""``relais event …``: add, list, show and import events."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table

from relais.cli.common import CLI_ACTOR, console, err_console, fail, friendly
from relais.db import session_scope
from relais.events import importer
from relais.events import services as events
from relais.events.schemas import EventInput, describe_errors
from relais.i18n import t
from relais.templating import render_text
from relais.timefmt import format_datetime

app = typer.Typer(help="Créer, lister, afficher et importer des événements.", no_args_is_help=True)


@app.command("add")
@friendly
def add(
    title: str = typer.Option(..., "--titre", "--title", help="Titre de l'événement."),
    start: str = typer.Option(
        ..., "--debut", "--start", help="Début, JJ/MM/AAAA HH:MM (heure locale)."
    ),
    end: str | None = typer.Option(None, "--fin", "--end", help="Fin, JJ/MM/AAAA HH:MM."),
    duration: int | None = typer.Option(None, "--duree", help="Durée en minutes (si pas de fin)."),
    format: str = typer.Option(
        "présentiel", "--modalite", help="présentiel, distanciel ou hybride."
    ),
    theme: str | None = typer.Option(None, "--thematique", help="Thématique (liste de référence)."),
    venue: str = typer.Option("", "--lieu", help="Adresse du lieu."),
    visio: str = typer.Option("", "--lien", help="Lien de visioconférence."),
    capacity: int | None = typer.Option(
        None, "--places", help="Nombre de places (illimité sinon)."
    ),
    deadline: str | None = typer.Option(None, "--date-limite", help="Date limite d'inscription."),
    networks: list[str] = typer.Option([], "--reseau", help="Réseau ciblé (répétable)."),
    description: str = typer.Option("", "--description", help="Présentation."),
    draft: bool = typer.Option(False, "--brouillon", help="Créer sans publier."),
) -> None:
    """Créer un événement."""
    try:
        data = EventInput(
            title=title, starts_at=start, ends_at=end, duration_minutes=duration, format=format,
            theme=theme, venue=venue, visio_url=visio, capacity=capacity,
            registration_deadline=deadline, networks=networks, description=description,
            status="draft" if draft else "published",
        )  # fmt: skip
    except ValidationError as error:
        raise fail("; ".join(describe_errors(error))) from None
    with session_scope() as session:
        event = events.create(session, data, CLI_ACTOR)
    console.print(t("cli.event_created", title=event.title, code=event.code), markup=False)


@app.command("list")
@friendly
def list_events(
    all_: bool = typer.Option(False, "--tous", help="Inclure les brouillons."),
) -> None:
    """Lister les événements à venir."""
    with session_scope() as session:
        upcoming = events.upcoming(session, include_drafts=all_)
        if not upcoming:
            console.print(t("cli.no_events"))
            return
        table = Table(title=t("cli.events_title"))
        for column in t("cli.events_columns").split("|"):
            table.add_column(column)
        for event in upcoming:
            assert event.id is not None
            counts = events.counts(session, event.id)
            seats = (
                f"{counts.confirmed}/{event.capacity}" if event.capacity else str(counts.confirmed)
            )
            if counts.waitlisted:
                seats += t("cli.waiting_suffix", count=counts.waitlisted)
            table.add_row(
                event.code, format_datetime(event.starts_at), event.title,
                t(f"labels.short_formats.{event.format.value}"), seats,
                t(f"labels.statuses.{event.status.value}"),
            )  # fmt: skip
    console.print(table)


@app.command("show")
@friendly
def show(code: str = typer.Argument(..., help="Code (ou numéro) de l'événement.")) -> None:
    """Afficher un événement et ses inscriptions."""
    with session_scope() as session:
        event = events.lookup(session, code)
        assert event.id is not None
        text = render_text(
            "cli/event_show.txt",
            event=event,
            counts=events.counts(session, event.id),
            place=events.place_label(event),
            format_label=t(f"labels.formats.{event.format.value}"),
            status_label=t(f"labels.statuses.{event.status.value}"),
        )
    console.print(text, markup=False, end="")


@app.command("import")
@friendly
def import_events(
    file: Path = typer.Argument(..., help="Fichier YAML ou CSV d'événements."),
    skip_errors: bool = typer.Option(
        False, "--skip-errors", help="Importer les lignes valides malgré les erreurs."
    ),
) -> None:
    """Importer des événements depuis un fichier YAML ou CSV (rien n'est importé si une ligne est fausse)."""
    with session_scope() as session:
        report = importer.import_file(session, file, CLI_ACTOR, skip_errors=skip_errors)
    for line, message in report.errors:
        err_console.print(t("cli.import_line_error", line=line, message=message), markup=False)
    if report.errors and not skip_errors:
        raise fail(
            t("cli.import_errors", count=len({line for line, _ in report.errors}), file=file)
        )
    console.print(
        t(
            "cli.import_done",
            imported=len(report.imported),
            skipped=len({line for line, _ in report.errors}),
        )
    )
