"""``relais export …``: QR codes and posters, attendance sheets, participant lists.

The PDF, XLSX and QR libraries are imported by the command that needs them:
every ``relais`` command starts faster.
"""

from __future__ import annotations

from pathlib import Path

import typer

from relais.access import links
from relais.cli.common import console, fail, friendly
from relais.db import session_scope
from relais.errors import InvalidInput
from relais.events import services as events
from relais.i18n import t
from relais.networks import services as networks
from relais.stats.figures import year_bounds

app = typer.Typer(
    help="Exports : QR codes d'émargement, feuilles d'émargement, listes de participants.",
    no_args_is_help=True,
)


def _format(value: str, allowed: tuple[str, ...]) -> str:
    kind = value.strip().lower().lstrip(".")
    if kind not in allowed:
        raise InvalidInput("presence.export_format", value=value)
    return kind


@app.command("qr")
@friendly
def export_qr(
    event: str = typer.Argument(..., help="Code (ou numéro) de la séance."),
    out: Path = typer.Option(Path("."), "--out", help="Dossier où écrire les fichiers."),
) -> None:
    """QR code d'émargement (PNG, SVG) et affiche A4 (PDF) d'une séance."""
    from relais.exports import qr

    with session_scope() as session:
        found = events.lookup(session, event)
        files = qr.write_qr(found, out)
    console.print(t("presence.cli.qr_written", title=found.title, link=links.checkin_link(found)),
                  markup=False)  # fmt: skip
    for path in (files.png, files.svg, files.poster):
        console.print(f"  {path}", markup=False)


@app.command("emargement")
@friendly
def export_emargement(
    event: str = typer.Argument(..., help="Code (ou numéro) de la séance."),
    kind: str = typer.Option("pdf", "--format", help="pdf, xlsx ou csv."),
    out: Path | None = typer.Option(None, "--out", help="Fichier à écrire."),
    blank_rows: int = typer.Option(8, "--lignes-vierges", min=0, max=60,
                                   help="Lignes vierges pour les personnes non inscrites."),
) -> None:  # fmt: skip
    """Feuille d'émargement (PDF A4) ou tableau des inscriptions et présences (XLSX, CSV)."""
    from relais.exports import sheets

    chosen = _format(kind, ("pdf", "xlsx", "csv"))
    with session_scope() as session:
        found = events.lookup(session, event)
        path = out or Path(f"emargement-{found.code}.{chosen}")
        sheets.write_emargement(session, found, path, chosen, blank_rows)
    console.print(t("presence.cli.file_written", path=str(path)), markup=False)


@app.command("participants")
@friendly
def export_participants(
    year: int | None = typer.Option(None, "--annee", "--year", help="Année (ex. 2025)."),
    event: str | None = typer.Option(None, "--evenement", "--event", help="Une seule séance."),
    network: str | None = typer.Option(None, "--reseau", "--network", help="Un réseau de pairs."),
    kind: str = typer.Option("xlsx", "--format", help="xlsx ou csv."),
    out: Path | None = typer.Option(None, "--out", help="Fichier à écrire."),
) -> None:
    """Liste des participants pour les financeurs (présents au moins une fois)."""
    from relais.exports import participants
    from relais.exports.safe import write_csv, write_xlsx

    chosen = _format(kind, ("xlsx", "csv"))
    starts, ends = year_bounds(year) if year is not None else (None, None)
    with session_scope() as session:
        event_id = events.lookup(session, event).id if event else None
        network_id = networks.lookup(session, network).id if network else None
        header, body = participants.participants_table(
            session, starts=starts, ends=ends, event_id=event_id, network_id=network_id
        )
    if not body:
        raise fail(t("presence.cli.no_participants"))
    path = out or Path(f"participants{'-' + str(year) if year else ''}.{chosen}")
    if chosen == "csv":
        write_csv(path, header, body)
    else:
        write_xlsx(path, t("presence.participants.xlsx_title"), header, body)
    console.print(t("presence.cli.participants_written", count=len(body), path=str(path)),
                  markup=False)  # fmt: skip
