"""Spreadsheet cells that cannot run: names and organisations are typed by the public.

A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel and LibreOffice (CSV injection, OWASP). In CSV it
gets a leading apostrophe; in XLSX every text cell is stored as a string.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def neutralise(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


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
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for index, name in enumerate(header, start=1):
        width = max([len(name), *(len(str(r[index - 1] or "")) for r in rows[:200])])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    workbook.save(path)
