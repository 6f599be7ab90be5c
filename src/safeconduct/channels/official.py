"""The official channels and the statements that prove who is speaking.

`/official` shows the list of official channels (the public face's address, each enabled
bot and phone line) as a statement signed with the channel key: a clone can copy the
text, not the signature. The body is sorted and carries no date, so the same list always
signs to the same text (Ed25519 is deterministic) and a copy taken last month still
matches today's.

`inspect` checks any pasted statement (a receipt, a bot answer, this list) and says what
it is and which published key signed it, or what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.orm import Session

from safeconduct.channels import integrations
from safeconduct.channels.models import Integration, IntegrationKind
from safeconduct.security.signing import Signer
from safeconduct.security.statements import PublishedKey, check_statement, sign_statement

OFFICIAL_TITLE = "Safe Conduct official channels"
RECEIPT_TITLE = "Safe Conduct receipt"
KEYS_PATH = "/.well-known/safeconduct-keys.json"
# What each kind of integration is called on the list (English: the signed text is one
# text for every reader; the pages translate around it).
_KIND_LABELS = {
    IntegrationKind.TELEGRAM.value: "telegram bot",
    IntegrationKind.WEBHOOK.value: "bot or phone line",
}
_ISSUED = re.compile(r"^issued: (\d{4}-\d{2}-\d{2})\b", re.MULTILINE)


@dataclass(frozen=True, slots=True, order=True)
class OfficialChannel:
    """One line of the official list: what kind of channel, and how to reach it."""

    kind: str
    address: str

    def line(self) -> str:
        return f"{self.kind}: {self.address}"


def _one_line(text: str) -> str:
    # A handle is typed by an admin; a line break in it would forge a second list entry.
    return " ".join(text.split())


def channels_of(public_url: str, enabled: Iterable[Integration]) -> list[OfficialChannel]:
    """The official channels, sorted: the web form, then each integration with a handle."""
    listed = {OfficialChannel("web", _one_line(public_url.rstrip("/")) + "/request")}
    for integration in enabled:
        if integration.disabled_on is not None or not integration.handle:
            continue
        label = _KIND_LABELS.get(integration.kind, integration.kind)
        listed.add(OfficialChannel(label, _one_line(integration.handle)))
    return sorted(listed)


def official_body(public_url: str, channels: Sequence[OfficialChannel]) -> str:
    """The text that is signed: a title, one line per channel, where the keys are."""
    lines = [OFFICIAL_TITLE, *(c.line() for c in channels)]
    lines.append(f"keys: {public_url.rstrip('/')}{KEYS_PATH}")
    return "\n".join(lines)


@dataclass(frozen=True)
class OfficialList:
    channels: list[OfficialChannel]
    statement: str


def official_list(session: Session, *, signer: Signer, public_url: str) -> OfficialList:
    """The official channels now, and their signed statement."""
    channels = channels_of(public_url, integrations.list_(session))
    return OfficialList(channels, sign_statement(signer, official_body(public_url, channels)))


class StatementKind(StrEnum):
    RECEIPT = "receipt"
    OFFICIAL_LIST = "official_list"
    MESSAGE = "message"  # a bot answer or any other signed text


@dataclass(frozen=True)
class Inspection:
    """What a pasted text turned out to be. `problem` is one of PROBLEMS, in English; the
    pages translate it."""

    ok: bool
    problem: str | None = None
    kind: StatementKind | None = None
    body: str | None = None
    key: PublishedKey | None = None


# Everything `inspect` may say is wrong; statements.check_statement's own texts included.
RETIRED_KEY = "signed with a key after the day it was retired"
WRONG_USE = "signed with a key that does not sign receipts or messages"
EMPTY = "nothing to check: paste the whole text, with its signature block"
PROBLEMS = (
    "not a signed statement: the signature block is missing",
    "signed with a key Safe Conduct never published",
    "the signature is not valid base64",
    "the signature does not match the text: it was altered",
    RETIRED_KEY,
    WRONG_USE,
    EMPTY,
)


def kind_of(body: str) -> StatementKind:
    first = body.split("\n", 1)[0]
    if first == RECEIPT_TITLE:
        return StatementKind.RECEIPT
    if first == OFFICIAL_TITLE:
        return StatementKind.OFFICIAL_LIST
    return StatementKind.MESSAGE


def _issued_on(body: str) -> date | None:
    found = _ISSUED.search(body)
    if found is None:
        return None
    try:
        return date.fromisoformat(found.group(1))
    except ValueError:
        return None


def inspect(text: str, keys: Sequence[PublishedKey]) -> Inspection:
    """Check a pasted statement against the published keys, current and retired. Old
    receipts keep verifying; a receipt dated after its key's retirement does not."""
    if not text.strip():
        return Inspection(False, EMPTY)
    check = check_statement(text, keys)
    if not check.ok or check.body is None or check.key is None:
        return Inspection(False, check.problem)
    if check.key.use != "channel":
        return Inspection(False, WRONG_USE)
    issued = _issued_on(check.body)
    until = check.key.valid_until
    if issued is not None and until is not None and issued > until:
        return Inspection(False, RETIRED_KEY)
    return Inspection(True, None, kind_of(check.body), check.body, check.key)
