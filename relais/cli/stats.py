"""``relais stats`` and ``relais report``: the yearly figures, in the terminal or as a report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from relais.cli.common import console, friendly
from relais.cli.tables import build_table
from relais.db import session_scope
from relais.i18n import t
from relais.stats import figures, tables
from relais.timefmt import local, utcnow

#: Tables are wide; piped output (80 columns) would wrap every label.
WIDTH = 130


def _default_year() -> int:
    return local(utcnow()).year


def _both_years(year: int) -> tuple[figures.YearFigures, figures.YearFigures]:
    with session_scope() as session:
        return figures.compute(session, year), figures.compute(session, year - 1, detailed=False)


def _why_zero(current: figures.YearFigures) -> str | None:
    """Say what is counted when a figure is zero, so « aucune » is never misleading."""
    totals = current.totals
    if not totals.sessions:
        with session_scope() as session:
            ahead, first = figures.published_ahead(session, current.year)
        if ahead:
            return t("presence.stats.none_held", year=current.year, count=ahead, first=first)
        return t("presence.stats.empty", year=current.year)
    if not totals.participations:
        return t("presence.stats.no_attendance", year=current.year, count=totals.sessions)
    return None


@friendly
def stats(
    year: int = typer.Option(
        None, "--year", "--annee", help="Année (par défaut l'année en cours)."
    ),
) -> None:
    """Chiffres de l'année : séances, demi-journées, participations, satisfaction, répartitions."""
    chosen = year or _default_year()
    figures.year_bounds(chosen)
    current, previous = _both_years(chosen)
    wide = Console(highlight=False, soft_wrap=False, width=max(console.width, WIDTH))
    explanation = _why_zero(current)
    if explanation:
        wide.print(explanation, markup=False)
    for table in tables.all_tables(current, previous):
        if not table.rows:
            continue
        wide.print(build_table(table.columns, table.rows, title=table.title, numbers=True))
        if table.note:
            wide.print(table.note, markup=False)
    wide.print(t("presence.stats.definitions"), markup=False, style="dim")


@friendly
def report(
    year: int = typer.Option(
        None, "--year", "--annee", help="Année (par défaut l'année en cours)."
    ),
    out: Path = typer.Option(None, "--out", help="Fichier à écrire (.html ou .pdf)."),
) -> None:
    """Rapport d'activité de l'année (HTML avec graphiques, ou PDF)."""
    from relais.stats import report as report_module

    chosen = year or _default_year()
    figures.year_bounds(chosen)
    path = out or Path(f"rapport-{chosen}.html")
    kind = report_module.output_kind(path)
    current, previous = _both_years(chosen)
    report_module.write(current, previous, path, kind)
    console.print(t("presence.cli.file_written", path=str(path)), markup=False)
