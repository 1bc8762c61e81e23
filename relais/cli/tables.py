"""The one way a command prints a table: headings from the French catalogue, rows as text.

Headings are a YAML list in ``templates/messages/`` (never a string split on a
separator), so a translator sees each column and a command cannot get the count wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from relais.cli.common import console
from relais.i18n import columns


def build_table(
    headings: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    no_wrap: int = 0,
    numbers: bool = False,
) -> Table:
    """A Rich table; the first ``no_wrap`` columns never wrap, ``numbers`` right-aligns all but the first."""
    table = Table(title=title, title_justify="left")
    for index, heading in enumerate(headings):
        right = numbers and index > 0
        table.add_column(heading, no_wrap=index < no_wrap, justify="right" if right else "left")
    for row in rows:
        table.add_row(*row)
    return table


def print_table(
    columns_key: str,
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    no_wrap: int = 0,
    out: Console = console,
) -> None:
    """Print the rows under the headings listed at ``columns_key``."""
    out.print(build_table(columns(columns_key), rows, title=title, no_wrap=no_wrap))
