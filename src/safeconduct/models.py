"""Import every model so the metadata is complete (Alembic, `db check`)."""

from safeconduct.accounts.models import Account, ApiToken, WebSession
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safeconduct.custody.models import Custody
from safeconduct.db import Base
from safeconduct.health.models import Heartbeat
from safeconduct.intake.models import SurrenderRequest
from safeconduct.people.models import Person
from safeconduct.security.models import DataKey

__all__ = [
    "Account",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Custody",
    "DataKey",
    "Heartbeat",
    "Person",
    "SurrenderRequest",
    "WebSession",
]
