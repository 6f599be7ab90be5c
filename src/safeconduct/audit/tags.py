"""Audit actions as typed tags, `subject:action`."""

from enum import StrEnum


class AuditAction(StrEnum):
    """Everything the audit log can record."""

    PERSON_CREATE = "person:create"
    PERSON_UPDATE = "person:update"
    PERSON_ERASE = "person:erase"
    REQUEST_CREATE = "request:create"
    REQUEST_STATUS = "request:status"
    CUSTODY_CREATE = "custody:create"
    CUSTODY_UPDATE = "custody:update"
    SEALED_OPEN = "sealed:open"
    KEYS_ROTATE = "keys:rotate"
    AUDIT_CHECKPOINT = "audit:checkpoint"
    DEMO_SEED = "demo:seed"
    ACCOUNT_CREATE = "account:create"
    ACCOUNT_DISABLE = "account:disable"
    ACCOUNT_TOTP_ENROL = "account:totp_enrol"
    ACCOUNT_TOTP_RESET = "account:totp_reset"
    LOGIN = "account:login"
    LOGIN_FAIL = "account:login_fail"
    TOKEN_CREATE = "token:create"  # noqa: S105 - an audit tag, not a secret
    TOKEN_REVOKE = "token:revoke"  # noqa: S105 - an audit tag, not a secret
