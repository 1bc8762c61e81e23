"""QR codes that open the bot on a session's check-in link, and the A4 poster to pin up."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import Image, SimpleDocTemplate, Spacer

from relais.access import links
from relais.events.models import Event
from relais.events.services import place_label
from relais.exports.pdf import para
from relais.i18n import t
from relais.settings import get_settings
from relais.timefmt import format_range


@dataclass(frozen=True)
class QrFiles:
    png: Path
    svg: Path
    poster: Path


def _code(event: Event) -> segno.QRCode:
    return segno.make(links.checkin_link(event), error="m", micro=False)


def write_qr(event: Event, folder: Path) -> QrFiles:
    """PNG (for slides), SVG (for print shops) and the A4 PDF poster of a session."""
    code = _code(event)
    folder.mkdir(parents=True, exist_ok=True)
    files = QrFiles(
        png=folder / f"{event.code}-emargement.png",
        svg=folder / f"{event.code}-emargement.svg",
        poster=folder / f"{event.code}-affiche.pdf",
    )
    code.save(str(files.png), scale=12, border=4)
    code.save(
        str(files.svg), scale=12, border=4, title=t("presence.poster.svg_title", title=event.title)
    )
    files.poster.write_bytes(poster_pdf(event))
    return files


def poster_pdf(event: Event) -> bytes:
    buffer = io.BytesIO()
    png = io.BytesIO()
    _code(event).save(png, kind="png", scale=20, border=2)
    png.seek(0)
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
        bottomMargin=2 * cm, title=t("presence.poster.pdf_title", title=event.title),
        author=get_settings().organisation_name,
    )  # fmt: skip
    size = 12 * cm
    document.build(
        [
            para(t("presence.poster.heading"), "poster_text"),
            Spacer(1, 0.6 * cm),
            para(event.title, "poster_title"),
            Spacer(1, 0.5 * cm),
            para(format_range(event.starts_at, event.ends_at), "poster_text"),
            para(place_label(event), "poster_text"),
            Spacer(1, 0.8 * cm),
            Image(png, width=size, height=size),
            Spacer(1, 0.6 * cm),
            para(t("presence.poster.instructions"), "poster_text"),
            Spacer(1, 0.3 * cm),
            para(
                t(
                    "presence.poster.fallback",
                    bot=get_settings().telegram_bot_username,
                    payload=links.CHECKIN_PREFIX + event.code,
                ),
                "small",
            ),
        ]
    )
    return buffer.getvalue()
