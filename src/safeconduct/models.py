"""Import every model so the metadata is complete (Alembic, `db check`)."""

from safeconduct.accounts.models import Account, ApiToken, WebSession
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safeconduct.bureau.models import (
    CaptureCard,
    CtaBatch,
    CtaRecord,
    DeathDocument,
    Transmission,
)
from safeconduct.channels.models import (
    BotConversation,
    BotFragment,
    ChannelDelivery,
    ChannelLimit,
    Integration,
    OutboxMessage,
    Submission,
    Ticket,
    TicketReply,
)
from safeconduct.custody.models import Custody, CustodyEvent
from safeconduct.db import Base
from safeconduct.health.models import Heartbeat
from safeconduct.inquiries.models import (
    FamilyConsent,
    Inquiry,
    InquiryAnswer,
    InquiryCandidate,
    InquiryKey,
    PersonTracingKey,
)
from safeconduct.intake.models import RequestEvent, SurrenderRequest
from safeconduct.people.models import Person, PersonChange, PersonRevision, PersonSearchKey
from safeconduct.repatriation.models import (
    ExchangeEvent,
    ExchangeList,
    ExchangeListAuthor,
    ExchangeListMember,
    Invalidation,
    StayPlanRecord,
    WishRecord,
)
from safeconduct.security.models import DataKey
from safeconduct.treatment.marks import duty_marks
from safeconduct.treatment.models import TreatmentEvent

__all__ = [
    "Account",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "Base",
    "BotConversation",
    "BotFragment",
    "CaptureCard",
    "ChannelDelivery",
    "ChannelLimit",
    "CtaBatch",
    "CtaRecord",
    "Custody",
    "CustodyEvent",
    "DataKey",
    "DeathDocument",
    "ExchangeEvent",
    "ExchangeList",
    "ExchangeListAuthor",
    "ExchangeListMember",
    "FamilyConsent",
    "Heartbeat",
    "Inquiry",
    "InquiryAnswer",
    "InquiryCandidate",
    "InquiryKey",
    "Integration",
    "Invalidation",
    "OutboxMessage",
    "Person",
    "PersonChange",
    "PersonRevision",
    "PersonSearchKey",
    "PersonTracingKey",
    "RequestEvent",
    "StayPlanRecord",
    "Submission",
    "SurrenderRequest",
    "Ticket",
    "TicketReply",
    "Transmission",
    "TreatmentEvent",
    "WebSession",
    "WishRecord",
    "duty_marks",
]
