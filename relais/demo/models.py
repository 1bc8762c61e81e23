"""Which rows the demo created, so that ``relais demo --supprimer`` removes exactly them."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DemoRow(SQLModel, table=True):
    """One row inserted by ``relais demo``: its table and primary key (as text).

    Recorded in the demo's own transaction from the ORM's flushes, so every
    row the demo's services write (audit entries, memberships…) is listed,
    and nothing a person created later is.
    """

    __tablename__ = "demo_row"

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=64, index=True)
    row_key: str = Field(max_length=200)
