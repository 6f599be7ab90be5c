"""Answers waiting to be delivered through an integration, and their sender.

An answer is enqueued once (its `answer_key` is unique) with the chat and the text sealed
under a key derived from the channel secret and bound to the row. The public face's sender
(`deliver_due`, a job every second) claims due rows for a while, so two senders never send
the same row; sends each through the Bot API's `sendMessage` at the configured base URL;
deletes a row once delivered; and on a failure the API reports (5xx, 429, no connection)
tries again later with exponential back-off. Telegram's `sendMessage` has no idempotency
key, so "exactly once" holds for every failure where the API did not take the message; a
reply lost after Telegram took it (a timeout, a crash before the delete) is sent again.

Nothing here logs a chat id, a token or a text: only counts and HTTP status codes.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import httpx
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeconduct.channels import bot_texts, integrations
from safeconduct.channels.bot_texts import Part
from safeconduct.channels.models import BotConversation, Integration, OutboxMessage
from safeconduct.db import new_id, utcnow
from safeconduct.runtime import ChannelKeys, PublicRuntime
from safeconduct.security.channel_secret import ChannelSecret, aead_open, aead_seal, derive
from safeconduct.security.intake_box import open_box
from safeconduct.security.sealing import SealError

log = logging.getLogger("safeconduct.outbox")


class HideBotTokens(logging.Filter):
    """httpx logs each request's URL at INFO, and a Bot API URL holds the bot's token."""

    _TOKEN = re.compile(r"/bot[^/\s]+/")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = self._TOKEN.sub("/bot<hidden>/", message), ()
        return True


logging.getLogger("httpx").addFilter(HideBotTokens())

DEFAULT_API_BASE = "https://api.telegram.org"
SEND_TIMEOUT_SECONDS = 10.0
# A claim outlives a send's worst case (two parts, each within the timeout) many times.
CLAIM = timedelta(seconds=120)
BATCH = 50
FIRST_RETRY = timedelta(seconds=2)
LONGEST_WAIT = timedelta(minutes=15)
# About four hours of trying, then the answer is dropped (the applicant still has /status).
MAX_ATTEMPTS = 20
# Sealed sizes: every row looks alike whatever the chat or the answer.
CHAT_BYTES = 64
BODY_BYTES = 40 * 1024


def _key(secret: ChannelSecret) -> bytes:
    return derive(secret.key, "safeconduct/outbox")


def _aad(row_id: str, what: str) -> str:
    return f"outbox:{row_id}:{what}"


def answer_key(secret: ChannelSecret, *parts: str) -> str:
    """The key one answer is enqueued under, from what identifies it (never in clear)."""
    return secret.keyed_hash("outbox-answer", "\x1f".join(parts))


def enqueue(
    session: Session,
    secret: ChannelSecret,
    *,
    integration_id: str,
    key: str,
    chat_id: int,
    parts: list[Part],
    now: datetime | None = None,
) -> bool:
    """Queue an answer (one or more messages to one chat); False when that answer is queued
    already. The caller commits. Answers go out in the order they were queued: the row is
    due from now (a time, but the row lives only until it is delivered)."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.answer_key == key)):
        return False
    for part in parts:
        if len(part.text) > bot_texts.MESSAGE_LIMIT:
            raise ValueError("an answer's message is longer than Telegram takes")
    row = OutboxMessage(
        id=new_id(),
        integration_id=integration_id,
        answer_key=key,
        chat=b"",
        body=b"",
        attempts=0,
        parts_sent=0,
        next_attempt_at=now or utcnow(),
    )
    body = json.dumps({"parts": [p.as_json() for p in parts]}, ensure_ascii=False)
    row.chat = aead_seal(
        _key(secret), str(chat_id).encode(), aad=_aad(row.id, "chat"), size=CHAT_BYTES
    )
    row.body = aead_seal(
        _key(secret), body.encode("utf-8"), aad=_aad(row.id, "body"), size=BODY_BYTES
    )
    try:
        with session.begin_nested():  # two deliveries of one answer at once: one row
            session.add(row)
    except IntegrityError:
        return False
    return True


# The operator face: an officer's reply reaches the chats the request came from. ---------


def enqueue_reply(
    session: Session,
    *,
    keys: ChannelKeys,
    ticket_id: str,
    reference: str,
    number: int,
    text: str,
    now: datetime | None = None,
) -> int:
    """Queue an officer's reply (number `number` of the ticket) to every Telegram chat the
    request came from; return how many. Needs the private intake key (operator face), which
    opens the chat id the conversation sealed; the row is sealed under the channel secret
    so the public face's sender can deliver it."""
    if keys.intake is None:
        raise RuntimeError("only the operator face opens a conversation's chat")
    rows = session.scalars(
        select(BotConversation).where(
            BotConversation.ticket_id == ticket_id, BotConversation.chat.is_not(None)
        )
    ).all()
    queued = 0
    for conversation in rows:
        assert conversation.chat is not None
        chat = open_box(
            keys.intake.private, conversation.chat, context=chat_context(conversation.id)
        )
        language = conversation.language
        body = f"{bot_texts.say(language, bot_texts.REPLY)}\n\n{text}"
        answer = bot_texts.signed(keys.signer, body, reference=reference, now=now or utcnow())
        if len(answer) > bot_texts.MESSAGE_LIMIT:
            answer = bot_texts.signed(
                keys.signer,
                bot_texts.say(language, bot_texts.REPLY_ELSEWHERE),
                reference=reference,
                now=now or utcnow(),
            )
        key = answer_key(keys.secret, "reply", ticket_id, str(number), conversation.id)
        queued += enqueue(
            session,
            keys.secret,
            integration_id=conversation.integration_id,
            key=key,
            chat_id=int(chat),
            parts=[Part(answer)],
        )
    return queued


def chat_context(conversation_id: str) -> str:
    """What a conversation's sealed chat id is bound to."""
    return f"telegram-chat:{conversation_id}"


# The sender (public face). ---------------------------------------------------------------


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"  # the API did not take it: try again later
    REFUSED = "refused"  # the API will never take it (a chat gone, a bot blocked): drop


@dataclass(frozen=True)
class Sent:
    outcome: Outcome
    retry_after: float | None = None


def backoff(attempts: int, *, jitter: float | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from FIRST_RETRY, at most
    LONGEST_WAIT, with up to a tenth more at random so senders do not retry in step."""
    wait = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), LONGEST_WAIT)
    spread = random.random() if jitter is None else jitter  # noqa: S311 - not a secret
    return wait + wait * 0.1 * spread


def _claim(prt: PublicRuntime, now: datetime, limit: int) -> list[str]:
    """Take up to `limit` due rows for CLAIM: nobody else sends them meanwhile. On
    PostgreSQL rows another sender has locked are skipped; SQLite writes one at a time."""
    with prt.transaction() as session:
        due = (
            select(OutboxMessage.id)
            .where(
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
            )
            .where(or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if ids:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(claimed_until=now + CLAIM)
            )
        return ids


@dataclass(frozen=True)
class _Job:
    row_id: str
    chat_id: int
    parts: list[Part]
    parts_sent: int
    attempts: int
    token: str | None


def _load(prt: PublicRuntime, row_id: str) -> _Job | None:
    secret = prt.channels.secret
    with prt.sessions() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None:
            return None
        integration = session.get(Integration, row.integration_id)
        token = None
        if integration is not None and integration.disabled_on is None:
            token = integrations.bot_token_of(secret, integration)
        chat = aead_open(_key(secret), row.chat, aad=_aad(row.id, "chat"))
        body = json.loads(aead_open(_key(secret), row.body, aad=_aad(row.id, "body")))
        parts = [Part.from_json(p) for p in body["parts"]]
        return _Job(row.id, int(chat), parts, row.parts_sent, row.attempts, token)


def send(http: httpx.Client, api_base: str, token: str, chat_id: int, part: Part) -> Sent:
    """One `sendMessage` call, and what its answer means for the row."""
    url = f"{api_base.rstrip('/')}/bot{token}/sendMessage"
    try:
        response = http.post(url, json={"chat_id": chat_id, **part.as_json()})
    except httpx.HTTPError:  # refused, reset, timed out: never the message (it holds the URL)
        return Sent(Outcome.RETRY)
    if response.status_code == 200:
        return Sent(Outcome.SENT)
    if response.status_code in (400, 403):
        return Sent(Outcome.REFUSED)
    return Sent(Outcome.RETRY, _retry_after(response))


def _retry_after(response: httpx.Response) -> float | None:
    if response.status_code != 429:
        return None
    try:
        doc: Any = response.json()
        return float(doc["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return None


def _drop(prt: PublicRuntime, row_id: str) -> None:
    with prt.transaction() as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id == row_id))


def _progress(prt: PublicRuntime, row_id: str, parts_sent: int) -> None:
    with prt.transaction() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(parts_sent=parts_sent)
        )


def _later(prt: PublicRuntime, job: _Job, parts_sent: int, sent: Sent, now: datetime) -> None:
    attempts = job.attempts + 1
    wait = backoff(attempts)
    if sent.retry_after is not None:
        wait = max(wait, timedelta(seconds=min(sent.retry_after, LONGEST_WAIT.total_seconds())))
    with prt.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == job.row_id)
            .values(
                attempts=attempts,
                parts_sent=parts_sent,
                next_attempt_at=now + wait,
                claimed_until=None,
            )
        )


def _deliver(
    prt: PublicRuntime, http: httpx.Client, api_base: str, job: _Job, now: datetime
) -> Outcome:
    if job.token is None:  # the integration is gone or disabled: nobody to send through
        _drop(prt, job.row_id)
        return Outcome.REFUSED
    for index in range(job.parts_sent, len(job.parts)):
        sent = send(http, api_base, job.token, job.chat_id, job.parts[index])
        if sent.outcome is Outcome.REFUSED:
            _drop(prt, job.row_id)
            return Outcome.REFUSED
        if sent.outcome is Outcome.RETRY:
            if job.attempts + 1 >= MAX_ATTEMPTS:
                _drop(prt, job.row_id)
                return Outcome.REFUSED
            _later(prt, job, index, sent, now)
            return Outcome.RETRY
        if index + 1 < len(job.parts):
            _progress(prt, job.row_id, index + 1)
    _drop(prt, job.row_id)
    return Outcome.SENT


def deliver_due(
    prt: PublicRuntime,
    *,
    api_base: str | None = None,
    now: datetime | None = None,
    http: httpx.Client | None = None,
    limit: int = BATCH,
) -> int:
    """Deliver the answers that are due; return how many were delivered."""
    now = now or utcnow()
    claimed = _claim(prt, now, limit)
    if not claimed:
        return 0
    base = api_base or getattr(prt.settings, "telegram_api_base", None) or DEFAULT_API_BASE
    client = http or httpx.Client(timeout=SEND_TIMEOUT_SECONDS)
    counts = dict.fromkeys(Outcome, 0)
    try:
        for row_id in claimed:
            try:
                job = _load(prt, row_id)
            except (SealError, ValueError, KeyError, TypeError):  # sealed under another secret
                _drop(prt, row_id)
                counts[Outcome.REFUSED] += 1
                continue
            if job is not None:
                counts[_deliver(prt, client, str(base), job, now)] += 1
    finally:
        if http is None:
            client.close()
    if counts[Outcome.RETRY] or counts[Outcome.REFUSED]:
        log.warning(
            "outbox: %d delivered, %d to retry, %d dropped",
            counts[Outcome.SENT],
            counts[Outcome.RETRY],
            counts[Outcome.REFUSED],
        )
    return counts[Outcome.SENT]
