"""What every printed document shares: fonts for the names people have, styles, the funders' line.

Names on an émargement sheet come in every script. The text font is DejaVu
Sans (Latin, Greek, Cyrillic, Arabic, Hebrew…), embedded; Arabic and Hebrew
are shaped (joined letters) and put in visual order before reportlab lays
them out, since it only draws left to right. Chinese and Japanese use
reportlab's built-in CID font (STSong-Light) and Korean HYSMyeongJo-Medium:
no file to install, and every PDF reader has the glyphs. Text in those
scripts may break between any two characters, as it does in print.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi import get_display
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Image, Paragraph, Table, TableStyle

from relais.settings import get_settings

log = logging.getLogger(__name__)

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
    log.warning("no DejaVu font found (Debian package fonts-dejavu-core): PDFs use Helvetica")
    return "Helvetica", "Helvetica-Bold"


#: Scripts drawn with reportlab's CID fonts, which need no font file.
CJK_FONT = "STSong-Light"
HANGUL_FONT = "HYSMyeongJo-Medium"
_EAST_ASIAN = re.compile(
    "(?P<hangul>[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]+)"
    "|(?P<cjk>[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]+)"
)
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@lru_cache(maxsize=1)
def east_asian_fonts() -> tuple[str, str]:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    pdfmetrics.registerFont(UnicodeCIDFont(HANGUL_FONT))
    return CJK_FONT, HANGUL_FONT


def printable(text: str) -> str:
    """Without control characters, and the narrow no-break space Helvetica lacks."""
    return _CONTROLS.sub(" ", text).replace("\u202f", "\u00a0")


def visual(text: str) -> str:
    """Arabic letters joined and right-to-left runs in the order they are drawn."""
    if _RIGHT_TO_LEFT.search(text) is None:
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


def markup(text: str) -> str:
    """reportlab markup for text typed by people: escaped, each script in a font that has it."""
    shown = visual(printable(text))
    parts: list[str] = []
    position = 0
    for run in _EAST_ASIAN.finditer(shown):
        cjk, hangul = east_asian_fonts()
        font = hangul if run.group("hangul") else cjk
        parts += [escape(shown[position : run.start()]), f'<font name="{font}">']
        parts += [escape(run.group()), "</font>"]
        position = run.end()
    parts.append(escape(shown[position:]))
    return "".join(parts)


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text, wrapped inside its frame or cell (never cut off)."""
    chosen = styles()[style]
    if _EAST_ASIAN.search(text):
        chosen = ParagraphStyle(f"{style}-cjk", parent=chosen, wordWrap="CJK")
    return Paragraph(markup(text), chosen)


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
