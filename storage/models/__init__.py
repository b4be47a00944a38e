"""Every table, one module per part of the product; import models from here.

Importing this package registers every table on `Base.metadata`, which is what Alembic and
the tests compare the migrations against.
"""

from storage.models.attachments import ATTACHMENT_STATUSES, TicketAttachment
from storage.models.base import Base
from storage.models.care_net import CareNetLink
from storage.models.console import ConsoleSession
from storage.models.contacts import CONTACT_METHODS, CONTACT_OUTCOMES, TicketContact
from storage.models.core import (
    Conversation,
    InboxEvent,
    OutboxMessage,
    Resident,
    SourceLock,
)
from storage.models.resident_record import (
    RECORD_FIELDS,
    RECORD_SOURCES,
    ResidentContact,
    ResidentDetail,
)
from storage.models.salons import AUDIENCES, KINDS, SALON_STATUSES, Salon, SalonCancellation
from storage.models.staff import (
    ApiToken,
    AuditEntry,
    CannedResponse,
    LoginAttempt,
    RecoveryCode,
    RolePolicy,
    Staff,
    Team,
)
from storage.models.supporters import (
    FEEDBACK,
    HELP_KINDS,
    HELP_MINUTES,
    NOT_DONE_REASONS,
    OFFER_ANSWERS,
    REQUEST_STATUSES,
    SUPPORTER_STATUSES,
    TIME_BANDS,
    HelpOffer,
    HelpRequest,
    Supporter,
)
from storage.models.tickets import (
    CHANNELS,
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
from storage.models.watch import (
    OPEN_ROUND_STATES,
    WAITING_ROUND_STATES,
    CheckinRound,
    ClockOffset,
    Deadline,
    OutboxMulticast,
    WatchCodeAttempt,
    WatchEnrolment,
    WatchFamilyLink,
    WatchInvitation,
)

__all__ = [
    "ATTACHMENT_STATUSES",
    "AUDIENCES",
    "CHANNELS",
    "CONTACT_METHODS",
    "CONTACT_OUTCOMES",
    "FEEDBACK",
    "HELP_KINDS",
    "HELP_MINUTES",
    "KINDS",
    "NOT_DONE_REASONS",
    "OFFER_ANSWERS",
    "OPEN_ROUND_STATES",
    "OPEN_STATUSES",
    "OUTCOMES",
    "RECORD_FIELDS",
    "RECORD_SOURCES",
    "REQUEST_STATUSES",
    "SALON_STATUSES",
    "STATUSES",
    "SUPPORTER_STATUSES",
    "TIME_BANDS",
    "URGENCIES",
    "WAITING_ROUND_STATES",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CannedResponse",
    "CareNetLink",
    "CheckinRound",
    "ClockOffset",
    "Consent",
    "ConsoleSession",
    "Conversation",
    "Deadline",
    "District",
    "HelpOffer",
    "HelpRequest",
    "InboxEvent",
    "LoginAttempt",
    "OutboxMessage",
    "OutboxMulticast",
    "RecoveryCode",
    "ReferenceCounter",
    "Resident",
    "ResidentContact",
    "ResidentDetail",
    "RolePolicy",
    "RoutingRule",
    "Salon",
    "SalonCancellation",
    "SourceLock",
    "Staff",
    "Supporter",
    "Team",
    "Ticket",
    "TicketAttachment",
    "TicketContact",
    "TicketMessage",
    "WatchCodeAttempt",
    "WatchEnrolment",
    "WatchFamilyLink",
    "WatchInvitation",
]
