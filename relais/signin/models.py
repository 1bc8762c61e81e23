"""What a sign-in leaves in the database: used links (single use) and open sessions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class SignInLink(SQLModel, table=True):
    """A sign-in link mailed to an address; ``used_at`` makes it work once only.

    The row is written when the link is sent, so a link whose row is missing
    (forged with a stolen key, or from a wiped database) is refused too.
    """

    __tablename__ = "signin_link"

    nonce: str = Field(primary_key=True, max_length=32)
    email: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie carries ``id`` (signed); signing out ends the row."""

    __tablename__ = "staff_session"

    id: str = Field(primary_key=True, max_length=32)
    principal: str = Field(max_length=270)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
