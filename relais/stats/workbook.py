"""The report's tables as one spreadsheet, a sheet per table, for whoever redoes the charts.

The cells hold the same French text as the report (« 1 234 », « 85 % »), so
what the spreadsheet says is exactly what the page and ``relais stats`` say.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from relais.exports.safe import safe_text
from relais.stats.tables import Table

#: Characters Excel refuses in a sheet's name.
FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def tables_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table that has rows: the title, the columns in bold, the rows, the note."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for table in tables:
        if table.rows:
            _sheet(workbook, table)
    if not workbook.worksheets:
        workbook.create_sheet("Chiffres").append([safe_text(tables[0].title)] if tables else [])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(workbook: Workbook, table: Table) -> None:
    sheet = workbook.create_sheet(_sheet_name(workbook, table.title))
    sheet.append([safe_text(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([safe_text(column) for column in table.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([safe_text(cell) for cell in row])
    if table.note:
        sheet.append([])
        sheet.append([safe_text(table.note)])
    for index in range(1, len(table.columns) + 1):
        width = max(len(str(r[index - 1])) for r in [table.columns, *table.rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A3"


def _sheet_name(workbook: Workbook, title: str) -> str:
    """At most 31 characters, none of those Excel refuses, unique in the workbook."""
    base = " ".join(title.translate(FORBIDDEN).split())[:28] or "Tableau"
    name, number = base, 2
    while name in workbook.sheetnames:
        name, number = f"{base[:26]} {number}", number + 1
    return name
