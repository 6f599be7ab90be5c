"""Audit actions as typed tags, `subject:action`; each tag names the kind of record it is about."""

from enum import StrEnum


class AuditAction(StrEnum):
    """Everything the audit log can record."""

    PERSON_CREATE = "person:create"
    PERSON_UPDATE = "person:update"
    PERSON_ERASE = "person:erase"
    REQUEST_CREATE = "request:create"
    REQUEST_STATUS = "request:status"
    REQUEST_NOTE = "request:note"
    REQUEST_ASSIGN = "request:assign"
    REQUEST_SUBMIT = "request:submit"  # a submission arrived on the public face
    REQUEST_MESSAGE = "request:message"  # the applicant wrote again
    REQUEST_REPLY = "request:reply"  # an officer replied to the applicant
    REQUEST_PROBE = "request:probe"  # flagged as a suspected probe
    REQUEST_CODENAME = "request:codename"  # a codename issued by phone or in person
    REQUEST_DESTROY = "request:destroy"  # its channel data destroyed (retention)
    INTEGRATION_CREATE = "integration:create"
    INTEGRATION_ROTATE = "integration:rotate"
    INTEGRATION_DISABLE = "integration:disable"
    CUSTODY_CREATE = "custody:create"
    CUSTODY_UPDATE = "custody:update"
    CUSTODY_EVENT = "custody:event"
    TREATMENT_RECORD = "treatment:record"  # a treatment event recorded
    TREATMENT_CORRECT = "treatment:correct"  # a new event superseding one recorded
    CIRCUMSTANCES_OPEN = "circumstances:open"
    REQUEST_CONTACT_OPEN = "request_contact:open"
    REQUEST_CONTENT_OPEN = "request_content:open"
    REQUEST_NOTES_OPEN = "request_notes:open"
    TREATMENT_NOTES_OPEN = "treatment_notes:open"  # a treatment event's sealed notes opened
    WISH_STATEMENT = "wish:statement"  # a wish stated to welfare or the registrar
    WISH_INTERVIEW = "wish:interview"  # the verifier's private interview
    WISH_NOTES_OPEN = "wish_notes:open"  # a wish record's sealed note or reasons opened
    STAY_PLAN = "stay_plan:record"  # an end-of-hostilities plan (Art. 118)
    EXCHANGE_EVENT_CREATE = "exchange_event:create"
    EXCHANGE_EVENT_RESCHEDULE = "exchange_event:reschedule"
    EXCHANGE_EVENT_COMPLETE = "exchange_event:complete"  # the exchange took place
    EXCHANGE_EVENT_CANCEL = "exchange_event:cancel"
    EXCHANGE_BUILD = "exchange_list:build"  # the builder proposed people
    EXCHANGE_ADD = "exchange_list:add"
    EXCHANGE_REMOVE = "exchange_list:remove"
    EXCHANGE_APPROVE = "exchange_list:approve"  # frozen and signed
    EXCHANGE_REOPEN = "exchange_list:reopen"  # a draft again: it needs a new approval
    EXCHANGE_INVALIDATE = "exchange_list:invalidate"
    EXCHANGE_EXPORT = "exchange_list:export"
    CAPTURE_CARD_ISSUE = "capture_card:issue"  # a new version of a person's card
    FAMILY_OPEN = "family:open"  # family details opened for an output that must carry them
    CTA_BATCH_MAKE = "cta_batch:make"  # numbered, hashed and signed
    CTA_BATCH_EXPORT = "cta_batch:export"  # a past batch's file made again and downloaded
    DEATH_DOCUMENT_ISSUE = "death_document:issue"
    STATISTICS_EXPORT = "statistics:export"
    TRANSMISSION = "transmission:send"  # an output left: the transmission log's entry
    INQUIRY_SUBMIT = "inquiry:submit"  # a family inquiry arrived on the public face
    INQUIRY_CREATE = "inquiry:create"  # taken in (from the inbox, or entered by an officer)
    INQUIRY_OPEN = "inquiry:open"  # its sealed person sought and inquirer opened
    INQUIRY_CONFIRM = "inquiry:confirm"  # an officer confirmed a candidate: a link
    INQUIRY_REJECT = "inquiry:reject"  # an officer rejected a candidate
    INQUIRY_ANSWER = "inquiry:answer"  # an answer on the ladder given
    INQUIRY_CLOSE = "inquiry:close"
    INQUIRY_DESTROY = "inquiry:destroy"  # its personal data destroyed (retention)
    INQUIRY_EXPORT = "inquiry:export"  # inquiries passed to another tracing service
    INQUIRY_IMPORT = "inquiry:import"  # inquiries taken from another tracing service
    FAMILY_CONSENT = "family_consent:record"  # the prisoner's choice about their family
    KEYS_ROTATE = "keys:rotate"
    AUDIT_CHECKPOINT = "audit:checkpoint"
    AUDIT_EXPORT = "audit:export"
    DEMO_SEED = "demo:seed"
    ACCOUNT_CREATE = "account:create"
    ACCOUNT_DISABLE = "account:disable"
    ACCOUNT_ENABLE = "account:enable"
    ACCOUNT_ROLE = "account:role"
    ACCOUNT_TOTP_ENROL = "account:totp_enrol"
    ACCOUNT_TOTP_RESET = "account:totp_reset"
    ACCOUNT_APPROVE = "account:approve"
    ACCOUNT_UNAPPROVE = "account:unapprove"
    INVITATION_CREATE = "invitation:create"
    INVITATION_ACCEPT = "invitation:accept"
    LOGIN = "account:login"
    LOGIN_FAIL = "account:login_fail"
    LOGIN_THROTTLED = "account:login_throttled"
    TOKEN_CREATE = "token:create"  # noqa: S105 - an audit tag, not a secret
    TOKEN_REVOKE = "token:revoke"  # noqa: S105 - an audit tag, not a secret

    @property
    def subject_type(self) -> str:
        """The kind of record an entry with this tag is about."""
        return SUBJECT_TYPES[self]


A = AuditAction
# Written out, not derived from the tag's text: a sealed read names the field in its tag
# but is about the record that holds it.
SUBJECT_TYPES: dict[AuditAction, str] = {
    A.PERSON_CREATE: "person",
    A.PERSON_UPDATE: "person",
    A.PERSON_ERASE: "person",
    A.REQUEST_CREATE: "surrender_request",
    A.REQUEST_STATUS: "surrender_request",
    A.REQUEST_NOTE: "surrender_request",
    A.REQUEST_ASSIGN: "surrender_request",
    A.REQUEST_SUBMIT: "surrender_request",
    A.REQUEST_MESSAGE: "surrender_request",
    A.REQUEST_REPLY: "surrender_request",
    A.REQUEST_PROBE: "surrender_request",
    A.REQUEST_CODENAME: "surrender_request",
    A.REQUEST_DESTROY: "surrender_request",
    A.INTEGRATION_CREATE: "integration",
    A.INTEGRATION_ROTATE: "integration",
    A.INTEGRATION_DISABLE: "integration",
    A.CUSTODY_CREATE: "custody",
    A.CUSTODY_UPDATE: "custody",
    A.CUSTODY_EVENT: "custody",
    # About the custody, as its events are: the auditor follows one record's history.
    A.TREATMENT_RECORD: "custody",
    A.TREATMENT_CORRECT: "custody",
    A.CIRCUMSTANCES_OPEN: "custody",
    A.REQUEST_CONTACT_OPEN: "surrender_request",
    A.REQUEST_CONTENT_OPEN: "surrender_request",
    A.REQUEST_NOTES_OPEN: "surrender_request",
    # About the custody, as the event's recording was: the person's access log lists it.
    A.TREATMENT_NOTES_OPEN: "custody",
    # About the person: the wish is theirs, and their access log lists the reads.
    A.WISH_STATEMENT: "person",
    A.WISH_INTERVIEW: "person",
    A.WISH_NOTES_OPEN: "person",
    A.STAY_PLAN: "person",
    A.EXCHANGE_EVENT_CREATE: "exchange_event",
    A.EXCHANGE_EVENT_RESCHEDULE: "exchange_event",
    A.EXCHANGE_EVENT_COMPLETE: "exchange_event",
    A.EXCHANGE_EVENT_CANCEL: "exchange_event",
    A.EXCHANGE_BUILD: "exchange_list",
    # About the person put on or taken off; the list is named in the purpose.
    A.EXCHANGE_ADD: "person",
    A.EXCHANGE_REMOVE: "person",
    A.EXCHANGE_APPROVE: "exchange_list",
    A.EXCHANGE_REOPEN: "exchange_list",
    A.EXCHANGE_INVALIDATE: "exchange_list",
    A.EXCHANGE_EXPORT: "exchange_list",
    A.CAPTURE_CARD_ISSUE: "person",
    A.FAMILY_OPEN: "person",
    A.CTA_BATCH_MAKE: "cta_batch",
    A.CTA_BATCH_EXPORT: "cta_batch",
    A.DEATH_DOCUMENT_ISSUE: "person",
    A.STATISTICS_EXPORT: "statistics",
    A.TRANSMISSION: "transmission",
    A.INQUIRY_SUBMIT: "inquiry",
    A.INQUIRY_CREATE: "inquiry",
    A.INQUIRY_OPEN: "inquiry",
    A.INQUIRY_CONFIRM: "inquiry",
    A.INQUIRY_REJECT: "inquiry",
    A.INQUIRY_ANSWER: "inquiry",
    A.INQUIRY_CLOSE: "inquiry",
    A.INQUIRY_DESTROY: "inquiry",
    A.INQUIRY_EXPORT: "inquiry_exchange",
    A.INQUIRY_IMPORT: "inquiry_exchange",
    # About the person: their choice, listed in their access log.
    A.FAMILY_CONSENT: "person",
    A.KEYS_ROTATE: "data_keys",
    A.AUDIT_CHECKPOINT: "audit",
    A.AUDIT_EXPORT: "audit",
    A.DEMO_SEED: "demo",
    A.ACCOUNT_CREATE: "account",
    A.ACCOUNT_DISABLE: "account",
    A.ACCOUNT_ENABLE: "account",
    A.ACCOUNT_ROLE: "account",
    A.ACCOUNT_TOTP_ENROL: "account",
    A.ACCOUNT_TOTP_RESET: "account",
    A.ACCOUNT_APPROVE: "account",
    A.ACCOUNT_UNAPPROVE: "account",
    A.INVITATION_CREATE: "account",
    A.INVITATION_ACCEPT: "account",
    A.LOGIN: "account",
    A.LOGIN_FAIL: "account",
    A.LOGIN_THROTTLED: "client",
    A.TOKEN_CREATE: "api_token",
    A.TOKEN_REVOKE: "api_token",
}
