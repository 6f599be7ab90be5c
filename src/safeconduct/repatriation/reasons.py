"""What each refusal and each ineligibility reason means, in words the API returns (the UI
shows the same reasons, translated). None names a wish."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "unverified": "has no wish to return verified by the neutral verifier in force",
    "stale": "was last heard by the verifier before the window of this exchange: "
    "a new private interview is needed",
    "not_in_custody": "is not in custody",
    "deceased": "has died",
    "escaped": "has escaped",
    "released": "was released",
    "repatriated": "was repatriated",
    "transferred": "was transferred since the list was approved",
    "erased": "was erased",
    "unknown_person": "is no registered person",
    "already_on_list": "is on the list already",
    "not_on_list": "is not on the list",
    "quota_full": "cannot be added: the quota of that category is full",
    "own_list": "you built or changed this list: another exchange officer approves it",
    "stale_version": "the list changed since you read it: read it again",
    "past_date": "the planned day has passed",
    "frozen": "the list is approved and frozen: reopen it to change it",
    "already_approved": "the list is approved already",
    "not_approved": "the list is not approved",
    "empty": "the list is empty",
    "event_closed": "the exchange is completed or cancelled",
}


def message(reason: str) -> str:
    return MESSAGES.get(reason, reason)
