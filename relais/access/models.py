"""A registration typed on the web for an address nobody has confirmed yet.

Nothing about a person is saved until the owner of the address follows the
link mailed to it: the row keeps what was typed (and for what) until then, at
most :data:`relais.access.services.CONFIRM_VALIDITY`, so that typing a
stranger's address neither takes a seat in their name nor stores a profile
under it, and a known address and a new one are answered alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class PendingRegistration(SQLModel, table=True):
    """The form as typed, waiting for the link; emptied once followed."""

    __tablename__ = "pending_registration"

    id: int | None = Field(default=None, primary_key=True)
    #: What the link names, random: a sequential id would tell whoever types two forms
    #: whether the address typed in between took a row (was new) or not (was known).
    key: str = Field(max_length=24, unique=True)
    email: str = Field(max_length=254, index=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    organisation: str = Field(default="", max_length=200)
    profile_id: int | None = Field(default=None, foreign_key="profile.id")
    structure_type_id: int | None = Field(default=None, foreign_key="structure_type.id")
    departement_code: str = Field(default="", max_length=3)
    phone: str = Field(default="", max_length=30)
    target: str = Field(max_length=24)
    channel: str = Field(max_length=24)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
