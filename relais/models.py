"""Every table of the core, imported in one place so that Alembic sees them all.

Each capability keeps its own ``models.py``; channels add theirs through
their own migrations (outbox, reminders, newsletter).
"""

from sqlmodel import SQLModel

from relais.access.models import PendingRegistration
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.audit import AuditEntry
from relais.bounces.models import AddressBounce
from relais.delivery.chat import ChatMessage, ChatState
from relais.demo.models import DemoRow
from relais.events.models import (
    Event,
    EventAudience,
    EventFormat,
    EventNetwork,
    EventStatus,
    Series,
)
from relais.imports.models import ImportRun
from relais.invitations.models import Broadcast, Invitation
from relais.keys.models import InstallationSecret
from relais.networks.models import Network, NetworkMember
from relais.people.models import Consent, ConsentPurpose, Organisation, Person
from relais.reference.models import Departement, Profile, StructureType, Theme
from relais.registrations.models import CalendarAnswer, Registration, RegistrationStatus
from relais.roles.models import Role, RoleEmail, RoleEmailNetwork, RoleGrant, RoleNetwork
from relais.satisfaction.models import SatisfactionAnswer
from relais.signin.models import SignInLink, StaffSession
from relais.web.limits import RateCount

metadata = SQLModel.metadata

__all__ = [
    "AddressBounce", "Attendance", "AttendanceMethod", "AttendanceStatus", "AuditEntry",
    "Broadcast", "CalendarAnswer", "ChatMessage", "ChatState", "Consent",
    "ConsentPurpose", "DemoRow", "Departement", "Event", "EventAudience", "EventFormat", "EventNetwork",
    "EventStatus", "ImportRun", "InstallationSecret", "Invitation", "Network", "NetworkMember",
    "Organisation", "PendingRegistration", "Person", "Profile", "RateCount", "Registration", "RegistrationStatus", "Role",
    "RoleEmail",
    "RoleEmailNetwork", "RoleGrant", "RoleNetwork", "SatisfactionAnswer", "Series", "SignInLink",
    "StaffSession", "StructureType", "Theme", "metadata",
]  # fmt: skip
