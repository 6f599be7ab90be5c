"""Two-stage retention: destroy a request's channel data once it has served.

The first stage is the request's life: its contact, content, notes, reasons and replies
sealed under its data key. Once it is closed, withdrawn, rejected or accepted (its person
then in custody, with what custody needs copied into its own sealed record) and that status
is `Settings.retention_days` old (see policy.due_for_destruction), the second stage destroys
the data key, so every sealed value of the request is gone for good, and deletes what the
channels kept beside it: the replies sealed for the applicant's codename, submissions still
waiting, the bot conversation. What remains is what the queue always showed in the clear
(reference, channel, days, statuses, steps without their texts) and the ticket, whose status
page then says "closed" and nothing else.

The day of destruction is the status change's day plus the period, or the first run after
it: it tells nothing the status change's day did not already tell, and only the day is kept.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import service as channels
from safeconduct.channels.models import (
    BotConversation,
    BotFragment,
    ChannelDelivery,
    PublicStatus,
    Ticket,
)
from safeconduct.channels.policy import RETIRED, due_for_destruction
from safeconduct.db import reclaim, today
from safeconduct.intake import service as intake
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.runtime import Runtime

ACTOR = Actor("system:retention")
# Requests destroyed per transaction by the command; the daily job takes every one due.
BATCH = 200


def due(session: Session, *, on: date, days: int, limit: int | None = None) -> list[str]:
    """The ids of the requests whose channel data is due for destruction on this day."""
    stmt = (
        select(SurrenderRequest.id)
        .where(
            SurrenderRequest.status.in_([s.value for s in RETIRED]),
            SurrenderRequest.status_changed_on <= on - timedelta(days=days),
            SurrenderRequest.channel_data_destroyed_on.is_(None),
        )
        .order_by(SurrenderRequest.id)
    )
    return list(session.scalars(stmt if limit is None else stmt.limit(limit)))


def _forget_conversations(session: Session, ticket_id: str) -> None:
    # The fragments first: SQLite applies ON DELETE CASCADE only with its pragma on.
    chats = select(BotConversation.id).where(BotConversation.ticket_id == ticket_id)
    session.execute(delete(BotFragment).where(BotFragment.conversation_id.in_(chats)))
    session.execute(delete(BotConversation).where(BotConversation.ticket_id == ticket_id))


def destroy(rt: Runtime, session: Session, request: SurrenderRequest, *, days: int) -> bool:
    """Destroy one request's channel data if it is (still) due; return whether it was."""
    # Under a row lock, and checked again: a request moved meanwhile is not due any more.
    session.refresh(request, with_for_update=True)
    day = today()
    status = RequestStatus(request.status)
    if request.channel_data_destroyed_on is not None or not due_for_destruction(
        status, request.status_changed_on, day, days
    ):
        return False
    rt.keyring.destroy(session, intake.request_owner(request.id))
    channels.forget_replies(session, ticket_id=request.id)
    # A webhook's repeated delivery would get the first answer back (its receipt, to the
    # minute): once the request's data is gone it gets 409 instead.
    session.execute(
        update(ChannelDelivery).where(ChannelDelivery.ticket_id == request.id).values(answer=None)
    )
    _forget_conversations(session, request.id)
    # The blind index goes too: a keyed hash of a phone number is a phone number to whoever
    # holds the key and tries them all.
    request.contact_index = None
    request.channel_data_destroyed_on = day
    session.execute(
        update(Ticket)
        .where(Ticket.id == request.id)
        .values(public_status=PublicStatus.CLOSED.value)
    )
    rt.audit.record(session, actor=ACTOR, tag=AuditAction.REQUEST_DESTROY, subject_id=request.id)
    return True


def run(rt: Runtime, session: Session, *, days: int | None = None, limit: int | None = None) -> int:
    """Destroy the channel data of every request due (at most `limit`), in this session's
    transaction; return how many. Running it again destroys nothing more."""
    period = rt.settings.retention_days if days is None else days
    destroyed = 0
    for request_id in due(session, on=today(), days=period, limit=limit):
        request = session.get(SurrenderRequest, request_id)
        if request is not None and destroy(rt, session, request, days=period):
            destroyed += 1
    session.flush()
    return destroyed


# Where destroyed values lived before: their old row versions go too (see db.reclaim).
TOUCHED = ("surrender_requests", "data_keys", "ticket_replies", "submissions",
           "bot_conversations", "bot_fragments", "request_events", "tickets")  # fmt: skip


def run_all(rt: Runtime, *, days: int | None = None, batch: int = BATCH) -> int:
    """Destroy everything due, one transaction per batch, then reclaim the space the old
    values held; return how many."""
    total = 0
    while True:
        with rt.transaction() as session:
            done = run(rt, session, days=days, limit=batch)
        total += done
        if done < batch:
            break
    if total:
        reclaim(rt.engine, TOUCHED)
    return total
