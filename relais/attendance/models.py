from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.timefmt import utcnow


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class AttendanceMethod(enum.StrEnum):
    SELF_CHECKIN = "self_checkin"
    COORDINATOR = "coordinator"
    CLI = "cli"
    IMPORT = "import"


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "person_id", name="uq_attendance_event_person"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: AttendanceStatus = Field(sa_type=enum_type(AttendanceStatus))
    method: AttendanceMethod = Field(sa_type=enum_type(AttendanceMethod))
    recorded_by: str = Field(default="", max_length=80)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
