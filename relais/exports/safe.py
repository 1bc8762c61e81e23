"""Spreadsheet cells that cannot run nor break: names and organisations are typed by the public.

A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel and LibreOffice (CSV injection, OWASP). In CSV it
gets a leading apostrophe; in XLSX every text cell is stored as a string.
Control characters (a NUL or an escape pasted with a name) make openpyxl
refuse the whole workbook: every export drops them (line breaks and tabs stay).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


#: What XML 1.0 (so XLSX) cannot hold: C0 controls but tab, LF and CR (openpyxl's list).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_controls(value: Cell) -> Cell:
    """The value with the control characters XLSX cannot hold dropped."""
    return _ILLEGAL.sub("", value) if isinstance(value, str) else value


def neutralise(value: Cell) -> Cell:
    """The value with control characters dropped, and an apostrophe before a formula."""
    value = without_controls(value)
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def safe_text(value: str) -> str:
    """:func:`neutralise` for a text cell."""
    cleaned = neutralise(value)
    assert isinstance(cleaned, str)
    return cleaned


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Semicolon-separated UTF-8 with a byte-order mark: what French Excel opens as is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


def write_xlsx(
    path: Path, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([without_controls(name) for name in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([without_controls(cell) for cell in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for index, name in enumerate(header, start=1):
        width = max([len(name), *(len(str(r[index - 1] or "")) for r in rows[:200])])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    workbook.save(path)
