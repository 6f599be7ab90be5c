"""Intake's side of talking with an applicant: a request an officer logs by hand (with the
blind index of its contact, as for one that came in through a channel), the codename and
receipt read out to a caller, and replies. The API and the UI both call these; the caller
commits.

Apart from `intake.service` so that it may use `channels.service`, which itself builds on
`intake.service`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import service as channels
from safeconduct.intake import service
from safeconduct.intake.models import RequestEvent, SurrenderRequest
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.runtime import ChannelKeys
from safeconduct.security.service import Keyring

NoCodenameError = channels.NoCodenameError
ChannelsNotConfiguredError = channels.ChannelsNotConfiguredError
Issued = channels.Issued


def take_by_hand(
    session: Session,
    *,
    keyring: Keyring,
    keys: ChannelKeys | None,
    audit: AuditLog,
    actor: Actor,
    request_in: SurrenderRequestCreate,
) -> SurrenderRequest:
    """Log a request an officer took by phone or in person. Its contact gets the same blind
    index as a channel's, so the queue can link it to the caller's other requests."""
    index = None if keys is None else channels.contact_index(keys, request_in.contact)
    return service.create(
        session,
        keyring=keyring,
        audit=audit,
        actor=actor,
        request_in=request_in,
        contact_index=index,
    )


def issue_codename(
    session: Session,
    *,
    keyring: Keyring,
    keys: ChannelKeys | None,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
) -> channels.Issued:
    """Give a caller the codename and signed receipt to read out, once, while the request is
    worked: with it they can read the replies on the status page. Never stored or logged:
    only its keyed hash and the key it derives are kept."""
    session.refresh(request, with_for_update=True)
    service.require_open_to_work(request)
    issued = channels.issue_codename(session, keyring=keyring, keys=keys, request=request)
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_CODENAME,
        subject_id=request.id,
    )
    return issued


def reply(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    text: str,
    keys: ChannelKeys | None = None,
) -> RequestEvent:
    """Write back to the applicant (see channels.service.reply: `keys` lets a reply reach a
    bot's chat too); return the sealed step the reply left in the request's history."""
    channels.reply(
        session, keyring=keyring, audit=audit, actor=actor, request=request, text=text, keys=keys
    )
    return service.history(session, request_id=request.id)[-1]
