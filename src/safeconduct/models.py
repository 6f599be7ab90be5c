"""Import every model so the metadata is complete (Alembic, `db check`)."""

from safeconduct.accounts.models import Account, ApiToken, WebSession
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safeconduct.custody.models import Custody, CustodyEvent
from safeconduct.db import Base
from safeconduct.health.models import Heartbeat
from safeconduct.intake.models import RequestEvent, SurrenderRequest
from safeconduct.people.models import Person, PersonRevision, PersonSearchKey
from safeconduct.security.models import DataKey

__all__ = [
    "Account",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Custody",
    "CustodyEvent",
    "DataKey",
    "Heartbeat",
    "Person",
    "PersonRevision",
    "PersonSearchKey",
    "RequestEvent",
    "SurrenderRequest",
    "WebSession",
]
