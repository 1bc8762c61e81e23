"""What every printed document shares: a Unicode font, styles and the funders' line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Image, Paragraph, Table, TableStyle

from relais.settings import get_settings

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """(regular, bold): a system TrueType font when there is one, else Helvetica.

    Helvetica has no narrow no-break space, so :func:`printable` swaps it.
    """
    for regular in FONT_CANDIDATES:
        bold = Path(str(regular).replace("Sans.ttf", "Sans-Bold.ttf").replace("-Regular", "-Bold"))
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("RelaisSans", str(regular)))
            pdfmetrics.registerFont(TTFont("RelaisSans-Bold", str(bold)))
            return "RelaisSans", "RelaisSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def printable(text: str) -> str:
    return text.replace("\u202f", "\u00a0")


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (typed by people, so escaped for reportlab's markup)."""
    return Paragraph(escape(printable(text)), styles()[style])


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = getSampleStyleSheet()["Normal"]
    return {
        "body": ParagraphStyle("body", parent=base, fontName=regular, fontSize=10, leading=13),
        "small": ParagraphStyle("small", parent=base, fontName=regular, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontName=regular, fontSize=9, leading=11),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20),
        "heading": ParagraphStyle("heading", parent=base, fontName=bold, fontSize=12, leading=15),
        "poster_title": ParagraphStyle(
            "poster_title", parent=base, fontName=bold, fontSize=28, leading=34, alignment=1
        ),
        "poster_text": ParagraphStyle(
            "poster_text", parent=base, fontName=regular, fontSize=16, leading=21, alignment=1
        ),
    }


def funders_line(width: float) -> list[Flowable]:
    """The funders' logos in one row (FUNDER_LOGOS) and their names (FUNDER_NAMES)."""
    settings = get_settings()
    flowables: list[Flowable] = []
    logos = [path for path in settings.funder_logos if path.exists()]
    if logos:
        height = 1.4 * cm
        images = []
        for path in logos:
            image = Image(str(path))
            ratio = image.imageWidth / image.imageHeight if image.imageHeight else 1
            images.append(Image(str(path), width=height * ratio, height=height))
        row = Table([images], colWidths=[width / len(images)] * len(images))
        row.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        flowables.append(row)
    if settings.funder_names:
        flowables.append(para(settings.funder_names, "small"))
    return flowables
