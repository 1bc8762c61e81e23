from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.timefmt import utcnow


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"
    COORDINATOR = "coordinator"


class RoleGrant(SQLModel, table=True):
    """A Telegram account given a role; ``ADMIN_TELEGRAM_IDS`` are administrators without a row."""

    __tablename__ = "role_grant"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    role: Role = Field(sa_type=enum_type(Role))
    granted_by: str = Field(max_length=80)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoleNetwork(SQLModel, table=True):
    """Limits a coordinator to these networks; a coordinator without rows may act on all."""

    __tablename__ = "role_network"

    telegram_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("role_grant.telegram_id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    network_id: int = Field(foreign_key="network.id", primary_key=True)


class RoleEmail(SQLModel, table=True):
    """An e-mail address given a role: it signs in to the web back office by a mailed link."""

    __tablename__ = "role_email"

    email: str = Field(primary_key=True, max_length=254)
    role: Role = Field(sa_type=enum_type(Role))
    granted_by: str = Field(max_length=80)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoleEmailNetwork(SQLModel, table=True):
    """Limits a coordinator known by address to these networks, like :class:`RoleNetwork`."""

    __tablename__ = "role_email_network"

    email: str = Field(
        sa_column=Column(
            String(254), ForeignKey("role_email.email", ondelete="CASCADE"), primary_key=True
        )
    )
    network_id: int = Field(foreign_key="network.id", primary_key=True)
