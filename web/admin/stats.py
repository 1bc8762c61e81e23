"""« Chiffres »: the year's figures, the same as ``relais stats``, with their charts, the
comparison with the previous year, and the report to download (HTML, PDF, XLSX).

A coordinator limited to some networks gets the figures of the sessions that
invite one of them (the core's ``networks`` scope), in the page and in every
download, so a download can never show more than the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from markupsafe import Markup
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from relais.errors import DomainError, InvalidInput, NotFound
from relais.i18n import t
from relais.stats import figures, report, tables, workbook
from relais.stats.figures import YearFigures
from relais.timefmt import local, utcnow
from web.admin.base import Staff, page
from web.admin.pages import networks_of

YEARS_SHOWN = 8
DOWNLOADS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Years:
    """The year shown and the one it is compared with, in this coordinator's scope."""

    current: YearFigures
    previous: YearFigures
    scope: str


def _this_year() -> int:
    return local(utcnow()).year


def chosen_year(raw: str) -> int:
    """The year asked in the address (this year when none), or a French refusal."""
    if not raw:
        return _this_year()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise InvalidInput("presence.bad_year", value=raw)
    figures.year_bounds(int(raw))  # « année … invalide » outside 2000–2100
    return int(raw)


def both_years(session: Session, staff: Staff, year: int) -> Years:
    allowed = staff.grant.networks
    scope = ""
    if allowed is not None:
        names = ", ".join(n.name for n in networks_of(session, staff))
        scope = t("web_admin.stats_scope", names=names)
    return Years(
        figures.compute(session, year, networks=allowed),
        figures.compute(session, year - 1, detailed=False, networks=allowed),
        scope,
    )


def _why_zero(session: Session, staff: Staff, current: YearFigures) -> str:
    """What is counted when a figure is zero, as ``relais stats`` says it."""
    totals = current.totals
    if not totals.sessions:
        ahead, first = figures.published_ahead(session, current.year, networks=staff.grant.networks)
        if ahead:
            return t("presence.stats.none_held", year=current.year, count=ahead, first=first)
        return t("presence.stats.empty", year=current.year)
    if not totals.participations:
        return t("presence.stats.no_attendance", year=current.year, count=totals.sessions)
    return ""


def stats_page(request: Request, session: Session, staff: Staff) -> Response:
    year = chosen_year(request.query_params.get("annee", "")[:10])
    years = both_years(session, staff, year)
    current, previous = years.current, years.previous
    charts: dict[str, Markup] = report.all_charts(current, previous)
    return page(
        request, "stats.html", staff=staff, year=year, years=_year_choices(year),
        scope=years.scope, why_zero=_why_zero(session, staff, current),
        headline=tables.totals_line(current.totals), tables={
            table.key: table for table in tables.all_tables(current, previous)
        }, charts=charts, trends=_trends(current, previous), previous_year=previous.year,
        pdf=report.pdf_available(), definitions=t("presence.stats.definitions"),
        breakdowns=figures.BREAKDOWNS,
    )  # fmt: skip


def _year_choices(year: int) -> list[int]:
    latest = max(_this_year(), year)
    return [latest - n for n in range(YEARS_SHOWN)] + ([year] if year < latest - 7 else [])


def _trends(current: YearFigures, previous: YearFigures) -> dict[str, str]:
    now, before = current.totals, previous.totals
    return {
        name: tables.evolution(getattr(now, name), getattr(before, name))
        for name in ("participations", "participants", "half_days", "sessions")
    }


def download(request: Request, session: Session, staff: Staff) -> Response:
    """``rapport-<année>.html|pdf|xlsx``: the report of the page, in this coordinator's scope."""
    kind = str(request.path_params["kind"])
    if kind not in DOWNLOADS:
        raise NotFound("not_found")
    year = int(request.path_params["year"])
    if not 2000 <= year <= 2100:
        raise InvalidInput("presence.bad_year", value=year)
    years = both_years(session, staff, year)
    headers = {
        "Content-Disposition": f'attachment; filename="rapport-{year}.{kind}"',
        "Cache-Control": "no-store",
    }
    if kind == "xlsx":
        content = workbook.tables_xlsx(tables.all_tables(years.current, years.previous))
        return Response(content, media_type=DOWNLOADS[kind], headers=headers)
    html = report.render(years.current, years.previous, years.scope)
    if kind == "html":
        return Response(html.encode(), media_type=DOWNLOADS[kind], headers=headers)
    if not report.pdf_available():
        raise DomainError("presence.pdf_unavailable")
    return PrintedReport(html, headers)


class PrintedReport(Response):
    """The report as a PDF, printed by Chromium only when the response is sent.

    Printing takes seconds and needs no database: done here, after the view's
    read transaction has ended, it holds neither a connection nor a snapshot.
    """

    media_type = DOWNLOADS["pdf"]

    def __init__(self, html: str, headers: dict[str, str]) -> None:
        super().__init__(b"", headers=headers)
        self.html = html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.body = await anyio.to_thread.run_sync(report.pdf_bytes, self.html)
        self.headers["content-length"] = str(len(self.body))
        await super().__call__(scope, receive, send)
