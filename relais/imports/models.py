"""The progress of a long import, committed with each chunk it writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class ImportRun(SQLModel, table=True):
    """One import of one file: how many of its rows are written, and what became of them.

    ``rows_done`` moves in the same transaction as the rows it counts, so after
    a crash it says exactly where to resume; the file is recognised by its digest.
    """

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    digest: str = Field(max_length=64, index=True)
    filename: str = Field(default="", max_length=255)
    total_rows: int = 0
    rows_done: int = 0
    finished: bool = False
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
