from __future__ import annotations

from sqlmodel import Field, SQLModel

from relais.text import single_line_fields


class Theme(SQLModel, table=True):
    """A working axis of the activity reports (« médiation sociale »…)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    active: bool = True


class Profile(SQLModel, table=True):
    """A participant's trade (« médiateur adulte-relais »…)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    active: bool = True


class StructureType(SQLModel, table=True):
    """The kind of organisation a participant works for, as the funders count them.

    ``listed_last`` marks the catch-all (« Autre »): it stays the last choice
    however many types coordinators add, so nobody picks it by default.
    """

    __tablename__ = "structure_type"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    active: bool = True
    listed_last: bool = False


class Departement(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=80)


single_line_fields(Theme, "name")
single_line_fields(Profile, "name")
