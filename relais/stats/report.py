"""``relais report``: the year's figures as an HTML page (charts included) or a PDF.

The HTML is self-contained (inline CSS and SVG) so it can be opened, printed
or pasted anywhere. The PDF is that same page printed by headless Chromium,
the only renderer here that prints HTML and SVG faithfully.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from markupsafe import Markup

from relais.errors import DomainError, InvalidInput
from relais.i18n import t
from relais.settings import get_settings
from relais.stats import charts, tables
from relais.stats.figures import YearFigures
from relais.templating import render_html
from relais.timefmt import format_datetime, utcnow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT = 120


def output_kind(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("html", "pdf"):
        raise InvalidInput("presence.report_format", file=path.name)
    if kind == "pdf" and _browser() is None:
        raise DomainError("presence.pdf_unavailable")
    return kind


def pdf_available() -> bool:
    """Whether a Chromium is installed here to print the report as a PDF."""
    return _browser() is not None


def _browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _bars(
    current: YearFigures, previous: YearFigures, key: str, title: str, measure: str
) -> Markup:
    rows = sorted(current.breakdowns.get(key, []), key=lambda row: -getattr(row, measure))
    before = {row.label: float(getattr(row, measure)) for row in previous.breakdowns.get(key, [])}
    svg = charts.bar_chart(
        [(row.label, float(getattr(row, measure))) for row in rows],
        title=title, previous=before or None, previous_label=str(previous.year),
        current_label=str(current.year),
    )  # fmt: skip
    return Markup(svg)


def _pie(current: YearFigures, key: str, title: str, measure: str) -> Markup:
    rows = current.breakdowns.get(key, [])
    svg = charts.pie_chart(
        [(row.label, float(getattr(row, measure))) for row in rows],
        title=title, other=t("presence.report.other"),
    )  # fmt: skip
    return Markup(svg)


def all_charts(current: YearFigures, previous: YearFigures) -> dict[str, Markup]:
    """Every chart of the report as inline SVG, by breakdown key (and ``ratings``)."""
    titles = {key: t(f"presence.report.charts.{key}") for key in (
        "theme", "format", "network", "departement", "profile", "structure_type", "ratings"
    )}  # fmt: skip
    chart = {
        "theme": _bars(current, previous, "theme", titles["theme"], "participations"),
        "format": _pie(current, "format", titles["format"], "participations"),
        "network": _bars(current, previous, "network", titles["network"], "participations"),
        "departement": _pie(current, "departement", titles["departement"], "participants"),
        "profile": _bars(current, previous, "profile", titles["profile"], "participants"),
        # Bars, not a pie: every type and « Non renseigné » keep their own line.
        "structure_type": _bars(
            current, previous, "structure_type", titles["structure_type"], "participants"
        ),
        "ratings": Markup(
            charts.bar_chart(
                [(f"{n} / 5", float(current.ratings.get(n, 0))) for n in range(5, 0, -1)],
                title=titles["ratings"],
            )
        ) if current.ratings else Markup(""),
    }  # fmt: skip
    return chart


def render(current: YearFigures, previous: YearFigures, scope: str = "") -> str:
    """The report page; ``scope`` names the networks it is limited to, if any."""
    chart = all_charts(current, previous)
    all_tables = {table.key: table for table in tables.all_tables(current, previous)}
    return render_html(
        "report/report.html",
        year=current.year,
        previous_year=previous.year,
        organisation=get_settings().organisation_name,
        scope=scope,
        generated=format_datetime(utcnow()),
        headline=tables.totals_line(current.totals),
        trends={
            "participations": tables.evolution(
                current.totals.participations, previous.totals.participations
            ),
            "participants": tables.evolution(
                current.totals.participants, previous.totals.participants
            ),
            "half_days": tables.evolution(current.totals.half_days, previous.totals.half_days),
        },
        tables=all_tables,
        charts=chart,
        networks=current.networks,
        short_date=tables.short_date,
        number=tables.number,
        percent=tables.percent,
        comments=current.comments,
        definitions=t("presence.stats.definitions"),
    )


def write(current: YearFigures, previous: YearFigures, path: Path, kind: str) -> None:
    html = render(current, previous)
    if kind == "html":
        path.write_text(html, encoding="utf-8")
        return
    print_pdf(html, path)


def pdf_bytes(html: str) -> bytes:
    """The page printed by Chromium, for a download (the same print as ``relais report``)."""
    with tempfile.TemporaryDirectory(prefix="relais-pdf-") as folder:
        path = Path(folder) / "rapport.pdf"
        print_pdf(html, path)
        return path.read_bytes()


def print_pdf(html: str, path: Path) -> None:
    browser = _browser()
    if browser is None:
        raise DomainError("presence.pdf_unavailable")
    with tempfile.TemporaryDirectory(prefix="relais-rapport-") as folder:
        page = Path(folder) / "rapport.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                f"--user-data-dir={folder}/profile", f"--print-to-pdf={path.resolve()}",
                page.as_uri(),
            ],
            check=True, capture_output=True, timeout=PDF_TIMEOUT,
        )  # fmt: skip
