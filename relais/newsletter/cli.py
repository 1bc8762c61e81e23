"""``relais subscribers …``: import, list, count, export, add and unsubscribe."""

from __future__ import annotations

import csv
from pathlib import Path

import typer

from relais.cli.common import CLI_ACTOR, console, fail, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.i18n import columns, t
from relais.imports import chunks
from relais.newsletter import export, importer, services
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.people import services as people
from relais.reference import services as reference

KIND = "subscribers"
app = typer.Typer(
    help="Abonnés de la lettre « Ressources Info » : import, liste, comptage, export.",
    no_args_is_help=True,
)


def _status(value: str | None) -> SubscriberStatus | None:
    if value is None:
        return None
    for status in SubscriberStatus:
        if value.strip().lower() in (
            status.value,
            t(f"newsletter.statuses.{status.value}").lower(),
        ):
            return status
    expected = ", ".join(status.value for status in SubscriberStatus)
    raise fail(t("newsletter.cli.unknown_status", value=value, expected=expected))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise fail(t("errors.newsletter_file_unreadable", path=path)) from None


@app.command("import")
@friendly
def import_file(
    path: Path = typer.Argument(..., help="Fichier CSV (export Brevo, Mailchimp ou tableur)."),
    dry_run: bool = typer.Option(
        False, "--essai", "--dry-run", help="Tout vérifier sans rien enregistrer."
    ),
    report_path: Path | None = typer.Option(
        None, "--rapport", help="Écrire le rapport ligne par ligne dans ce fichier CSV."
    ),
    restart: bool = typer.Option(
        False, "--recommencer", help="Ne pas reprendre un import interrompu : tout relire."
    ),
) -> None:
    """Importer des abonnés ; le consentement est noté « import du JJ/MM/AAAA ».

    Enregistré par paquets (le bot et les envois continuent pendant ce temps) ;
    un import interrompu reprend où il s'était arrêté en relançant la même commande.
    """
    raw = _read(path)
    parsed = importer.parse(raw)
    work = importer.Importer(parsed)
    progress = chunks.Progress(None)
    if not dry_run:
        progress = chunks.begin(KIND, raw, path.name, len(parsed.rows), restart=restart)
    if progress.start:
        console.print(t("newsletter.cli.import_resumed", done=progress.start), markup=False)
        work.remember(parsed.rows[: progress.start])
    chunks.write(progress, parsed.rows, work.row, work.counts, dry_run=dry_run)
    _print_report(path, work.report, dry_run, progress.previous)
    if report_path is not None:
        _write_report(report_path, work.report)


def _print_report(
    path: Path, report: importer.Report, dry_run: bool, previous: dict[str, int]
) -> None:
    console.print(t("newsletter.cli.import_title", path=path.name), markup=False)
    counts = {
        outcome.value: report.count(outcome) + previous.get(outcome.value, 0)
        for outcome in importer.Outcome
    }
    console.print(t("newsletter.cli.import_counts", **counts), markup=False)
    detailed = [line for line in report.lines if line.outcome != importer.Outcome.IMPORTED]
    detailed = sorted([*detailed, *report.notes], key=lambda line: line.number)
    if detailed:
        rows = [
            (str(line.number), line.email,
             t(f"newsletter.import.outcomes.{line.outcome.value}"), line.reason)
            for line in detailed
        ]  # fmt: skip
        print_table("newsletter.cli.import_columns", rows)
    if dry_run:
        console.print(t("newsletter.cli.import_dry_run"), markup=False)


def _write_report(path: Path, report: importer.Report) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(columns("newsletter.cli.import_columns"))
        for line in sorted([*report.lines, *report.notes], key=lambda line: line.number):
            outcome = t(f"newsletter.import.outcomes.{line.outcome.value}")
            writer.writerow([str(line.number), export.safe_cell(line.email), outcome, line.reason])
    console.print(t("newsletter.cli.import_report_written", path=path), markup=False)


@app.command("list")
@friendly
def list_subscribers(
    status: str | None = typer.Option(
        None, "--statut", help="active, pending, unsubscribed ou bounced."
    ),
) -> None:
    """Lister les abonnés."""
    wanted = _status(status)
    with session_scope() as session:
        rows = [
            (
                subscriber.email,
                subscriber.first_name,
                subscriber.last_name,
                subscriber.organisation,
                t(f"newsletter.statuses.{subscriber.status.value}"),
                subscriber.consent_source,
            )
            for subscriber in services.stream(session, status=wanted)
        ]
    if not rows:
        console.print(t("newsletter.cli.list_empty"), markup=False)
        return
    print_table("newsletter.cli.list_columns", rows)


@app.command("count")
@friendly
def count() -> None:
    """Compter les abonnés par statut."""
    with session_scope() as session:
        counts = services.counts(session)
    for status, number in counts.items():
        label = t(f"newsletter.statuses.{status.value}")
        console.print(t("newsletter.cli.count_line", label=label, number=number), markup=False)
    console.print(t("newsletter.cli.count_total", number=sum(counts.values())), markup=False)


@app.command("export")
@friendly
def export_file(
    path: Path = typer.Argument(..., help="Fichier CSV à écrire (séparateur ;, UTF-8)."),
    status: str | None = typer.Option(None, "--statut", help="Seulement ce statut."),
) -> None:
    """Exporter les abonnés en CSV (sans risque d'injection de formules dans un tableur)."""
    wanted = _status(status)
    with session_scope() as session, path.open("w", encoding="utf-8-sig", newline="") as out:
        written = export.write_csv(session, out, wanted)
    console.print(t("newsletter.cli.export_written", number=written, path=path), markup=False)


@app.command("add")
@friendly
def add(
    email: str = typer.Argument(..., help="Adresse e-mail."),
    first_name: str = typer.Option("", "--prenom", help="Prénom."),
    last_name: str = typer.Option("", "--nom", help="Nom."),
    organisation: str = typer.Option("", "--structure", help="Structure."),
    structure_type: str = typer.Option(
        "",
        "--type-structure",
        help="Type de structure (voir « relais reference list structures »).",
    ),
    source: str = typer.Option(
        ..., "--source", help="D'où vient le consentement, ex. « formulaire papier du 12/03/2026 »."
    ),
) -> None:
    """Abonner une adresse dont vous avez le consentement (noté avec sa source)."""
    address = people.normalize_email(email)
    with session_scope() as session:
        kind = reference.structure_type_named(session, structure_type) if structure_type else None
        subscriber = services.by_email(session, address)
        if subscriber is None:
            person = people.by_email(session, address)
            subscriber = Subscriber(email=address, person_id=person.id if person else None)
        subscriber.first_name = first_name or subscriber.first_name
        subscriber.last_name = last_name or subscriber.last_name
        subscriber.organisation = organisation or subscriber.organisation
        subscriber.structure_type_id = kind.id if kind else subscriber.structure_type_id
        session.add(subscriber)
        session.flush()
        services.activate(session, subscriber, channel=CLI_ACTOR, source=source.strip())
    console.print(t("newsletter.cli.added", email=address, source=source.strip()), markup=False)


@app.command("unsubscribe")
@friendly
def unsubscribe(email: str = typer.Argument(..., help="Adresse e-mail.")) -> None:
    """Désabonner une adresse (par exemple sur demande par téléphone)."""
    with session_scope() as session:
        subscriber = services.by_email(session, email)
        if subscriber is None:
            raise fail(t("newsletter.cli.not_subscribed", email=email.strip()))
        changed = services.unsubscribe(session, subscriber, channel=CLI_ACTOR)
    key = "newsletter.cli.unsubscribed" if changed else "newsletter.cli.already_left"
    console.print(t(key, email=subscriber.email), markup=False)
