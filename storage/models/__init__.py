"""Every table, one module per part of the product; import models from here.

Importing this package registers every table on `Base.metadata`, which is what Alembic and
the tests compare the migrations against.
"""

from storage.models.base import Base
from storage.models.console import ConsoleSession
from storage.models.core import (
    Conversation,
    InboxEvent,
    OutboxMessage,
    Resident,
    SourceLock,
)
from storage.models.salons import AUDIENCES, KINDS, SALON_STATUSES, Salon, SalonCancellation
from storage.models.staff import ApiToken, AuditEntry, CannedResponse, LoginAttempt, Staff, Team
from storage.models.tickets import (
    OPEN_STATUSES,
    OUTCOMES,
    STATUSES,
    URGENCIES,
    Consent,
    ReferenceCounter,
    RoutingRule,
    Ticket,
    TicketMessage,
)
from storage.models.town import District

__all__ = [
    "AUDIENCES",
    "KINDS",
    "OPEN_STATUSES",
    "OUTCOMES",
    "SALON_STATUSES",
    "STATUSES",
    "URGENCIES",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CannedResponse",
    "Consent",
    "ConsoleSession",
    "Conversation",
    "District",
    "InboxEvent",
    "LoginAttempt",
    "OutboxMessage",
    "ReferenceCounter",
    "Resident",
    "RoutingRule",
    "Salon",
    "SalonCancellation",
    "SourceLock",
    "Staff",
    "Team",
    "Ticket",
    "TicketMessage",
]
