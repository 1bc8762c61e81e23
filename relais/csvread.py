"""Reading CSV files people give: a cell too long for the csv module is one French sentence.

Python's csv module refuses a field longer than ``csv.field_size_limit()``
(131,072 characters) with a bare ``csv.Error``; every importer turns it into
an answer naming the line, instead of a traceback.
"""

from __future__ import annotations

import csv

from relais.errors import InvalidInput
from relais.timefmt import format_number


def is_too_long(error: csv.Error) -> bool:
    return "field larger than field limit" in str(error)


def too_long(line: int) -> InvalidInput:
    """The error for a cell longer than the csv module reads, at this line of the file."""
    return InvalidInput(
        "csv_field_too_long", line=line, limit=format_number(csv.field_size_limit())
    )
