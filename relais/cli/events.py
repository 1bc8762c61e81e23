"""``relais event …``: add, list, show, import, edit, cancel, duplicate and publish events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlmodel import Session

from relais.access import links
from relais.cli.common import CLI_ACTOR, console, err_console, fail, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.errors import NotFound
from relais.events import changes, importer
from relais.events import services as events
from relais.events.models import Event
from relais.events.schemas import EventInput, describe_errors, future_problem
from relais.i18n import t
from relais.templating import render_text
from relais.timefmt import format_datetime, format_short, parse_local

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
    problem = future_problem(data)
    if problem:
        raise fail(problem)
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
        rows = [_event_row(session, event) for event in upcoming]
    print_table("cli.events_columns", rows, title=t("cli.events_title"), no_wrap=2)


def _event_row(session: Session, event: Event) -> tuple[str, ...]:
    """One line of ``relais events list``: code, date, title, seats taken, status."""
    assert event.id is not None
    counts = events.counts(session, event.id)
    seats = f"{counts.confirmed}/{event.capacity}" if event.capacity else str(counts.confirmed)
    if counts.waitlisted:
        seats += t("cli.waiting_suffix", count=counts.waitlisted)
    return (
        event.code, format_short(event.starts_at),
        t("cli.event_title_cell", title=event.title, format=event.format.value), seats,
        t(f"labels.statuses.{event.status.value}"),
    )  # fmt: skip


@app.command("show")
@friendly
def show(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement, ou code d'un cycle."),
) -> None:
    """Afficher un événement et ses inscriptions, ou un cycle et ses séances."""
    with session_scope() as session:
        try:
            event = events.lookup(session, code)
        except NotFound as not_an_event:
            try:
                series = events.series_by_code(session, code.removeprefix("c_"))
            except NotFound:
                raise not_an_event from None
            text = render_text(
                "cli/series_show.txt",
                series=series,
                sessions=events.series_sessions(session, series.id or 0),
                link=links.series_register_link(series),
            )
            console.print(text, markup=False, end="")
            return
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


def _changed_lines(changes: dict[str, tuple[object, object]]) -> list[str]:
    return [t(f"admin.changed_fields.{field}") for field in changes]


@app.command("edit")
@friendly
def edit(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    title: str | None = typer.Option(None, "--titre", help="Nouveau titre."),
    start: str | None = typer.Option(
        None, "--debut", help="Nouveau début (la durée est gardée si ni --fin ni --duree)."
    ),
    end: str | None = typer.Option(None, "--fin", help="Nouvelle fin."),
    duration: int | None = typer.Option(None, "--duree", help="Nouvelle durée en minutes."),
    format: str | None = typer.Option(None, "--modalite", help="présentiel, distanciel, hybride."),
    theme: str | None = typer.Option(None, "--thematique", help="Thématique."),
    venue: str | None = typer.Option(None, "--lieu", help="Adresse du lieu."),
    visio: str | None = typer.Option(None, "--lien", help="Lien de visioconférence."),
    capacity: str | None = typer.Option(None, "--places", help="Places (0 : illimité)."),
    deadline: str | None = typer.Option(
        None, "--date-limite", help="Date limite d'inscription (vide : aucune)."
    ),
    description: str | None = typer.Option(None, "--description", help="Présentation."),
    registrations_open: bool | None = typer.Option(
        None, "--ouvrir/--fermer", help="Ouvrir ou clore les inscriptions."
    ),
) -> None:
    """Modifier un événement ; un changement d'horaire, de lieu ou de lien envoie l'invitation mise à jour aux inscrits."""
    wanted = changes.Edit(
        title=title, start=start, end=end, duration_minutes=duration, format=format, theme=theme,
        venue=venue, visio_url=visio, capacity=capacity, deadline=deadline,
        description=description, registrations_open=registrations_open,
    )  # fmt: skip
    with session_scope() as session:
        event = events.lookup(session, code)
        assert event.id is not None
        changed = events.update(
            session, event.id, changes.changes_for(session, event, wanted), CLI_ACTOR
        )
        counts = events.counts(session, event.id)
    if not changed.changes:
        console.print(t("admin.cli.nothing_changed"), markup=False)
        return
    console.print(
        t(
            "admin.cli.event_changed",
            title=event.title,
            fields=", ".join(_changed_lines(changed.changes)),
        ),
        markup=False,
    )
    if changed.moved and counts.confirmed + counts.waitlisted:
        console.print(
            t("admin.cli.update_sent", count=counts.confirmed + counts.waitlisted), markup=False
        )


@app.command("cancel")
@friendly
def cancel(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    reason: str = typer.Option(..., "--motif", help="Motif, communiqué aux inscrits."),
) -> None:
    """Annuler un événement ; les inscrits reçoivent l'annulation avec le motif."""
    with session_scope() as session:
        event = events.lookup(session, code)
        assert event.id is not None
        events.cancel(session, event.id, reason, CLI_ACTOR)
        counts = events.counts(session, event.id)
    console.print(
        t(
            "admin.cli.event_cancelled",
            title=event.title,
            count=counts.confirmed + counts.waitlisted,
        ),
        markup=False,
    )


@app.command("duplicate")
@friendly
def duplicate(
    code: str = typer.Argument(..., help="Code (ou numéro) de l'événement à copier."),
    start: str = typer.Option(..., "--debut", help="Début de la copie, JJ/MM/AAAA HH:MM."),
) -> None:
    """Copier un événement à une autre date (en brouillon, mêmes réseaux et public)."""
    new_start = _moment(start)
    with session_scope() as session:
        source = events.lookup(session, code)
        assert source.id is not None
        copy = events.duplicate(session, source.id, new_start, CLI_ACTOR)
    console.print(
        t(
            "admin.cli.event_duplicated",
            title=copy.title,
            code=copy.code,
            when=format_datetime(copy.starts_at),
        ),
        markup=False,
    )


@app.command("publish")
@friendly
def publish(code: str = typer.Argument(..., help="Code (ou numéro) de l'événement.")) -> None:
    """Publier un brouillon : il apparaît dans le bot et on peut s'y inscrire."""
    with session_scope() as session:
        event = events.lookup(session, code)
        assert event.id is not None
        events.publish(session, event.id, CLI_ACTOR)
    console.print(t("admin.cli.event_published", title=event.title, code=event.code), markup=False)


def _moment(text: str) -> datetime:
    try:
        return parse_local(text)
    except ValueError:
        raise fail(t("errors.bad_datetime", value=text[:40])) from None
