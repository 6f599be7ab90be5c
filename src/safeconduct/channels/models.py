"""What the channels keep: an applicant's ticket, the sealed inbox the public face fills,
replies only a codename opens, integrations, and the state bots and webhooks need.

Nothing here is readable without a key the public face lacks, except what an applicant
could see with their codename: a reference and a public status.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, load_only, mapped_column
from sqlalchemy.orm.interfaces import LoaderOption

from safeconduct.db import Base, Day, IdMixin, UtcDateTime, today


class PublicStatus(StrEnum):
    """All an applicant is ever told: never accepted or rejected, never more."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    CLOSED = "closed"


class SubmissionKind(StrEnum):
    REQUEST = "request"  # a new surrender request
    MESSAGE = "message"  # the applicant writes again (from /status or the bot)
    CLONE_REPORT = "clone_report"  # a suspected clone of an official channel
    INQUIRY = "inquiry"  # a family inquiry (see the inquiries package)


class TicketKind(StrEnum):
    REQUEST = "request"  # a surrender request (or a clone report)
    INQUIRY = "inquiry"  # a family inquiry: its status page shows the answer, no messages


class IntegrationKind(StrEnum):
    WEBHOOK = "webhook"  # a bot or phone (IVR) platform posting signed JSON
    TELEGRAM = "telegram"  # a Telegram bot through its webhook


class Ticket(Base):
    """An applicant's handle on a request: the reference on their receipt, the codename's
    keyed hash, and the public status. Its id is the request's id."""

    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # HMAC-SHA256 under the channel secret; None for a request no applicant holds a codename
    # for (one an officer entered before codenames existed).
    codename_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    public_status: Mapped[str] = mapped_column(String(16), default=PublicStatus.RECEIVED.value)
    kind: Mapped[str] = mapped_column(String(16), default=TicketKind.REQUEST.value)
    opened_on: Mapped[date] = mapped_column(Day(), default=today)


# The columns the public face reads of a ticket (the opening day is not one of them): its
# database role may select these only (commands/roles.py).
PUBLIC_TICKET_COLUMNS = ("id", "reference", "codename_hash", "public_status", "kind")


def public_ticket() -> LoaderOption:
    """Load a ticket with the public face's columns only (find_ticket, the Telegram bot)."""
    return load_only(*(getattr(Ticket, name) for name in PUBLIC_TICKET_COLUMNS), raiseload=True)


class Submission(IdMixin, Base):
    """The public face's inbox: one box sealed to the intake key, opened and moved into
    the request (re-sealed under its data key) by the operator face, then deleted."""

    __tablename__ = "submissions"

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    integration_id: Mapped[str | None] = mapped_column(ForeignKey("integrations.id"))
    box: Mapped[bytes] = mapped_column(LargeBinary)
    received_on: Mapped[date] = mapped_column(Day(), default=today)


class TicketReply(IdMixin, Base):
    """An officer's reply, sealed under a key derived from the applicant's codename."""

    __tablename__ = "ticket_replies"
    __table_args__ = (UniqueConstraint("ticket_id", "number"),)

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    written_on: Mapped[date] = mapped_column(Day(), default=today)


class Integration(IdMixin, Base):
    """A bot or phone platform allowed to post to the public face. Its secrets are sealed
    under the channel secret."""

    __tablename__ = "integrations"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    secret_version: Mapped[int] = mapped_column(Integer, default=1)
    # A Telegram bot's token, sealed: the sender needs it to deliver answers.
    bot_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What the official list shows: a bot handle, a phone number.
    handle: Mapped[str | None] = mapped_column(String(128))
    created_on: Mapped[date] = mapped_column(Day(), default=today)
    disabled_on: Mapped[date | None] = mapped_column(Day())


class ChannelDelivery(IdMixin, Base):
    """A message an integration delivered, by a keyed hash of its idempotency key (or the
    Telegram update id): the same message twice makes one request."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (
        UniqueConstraint("integration_id", "key_hash"),
        # Led by message_hash so the convention names it apart from the first.
        UniqueConstraint("message_hash", "integration_id"),
    )

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    received_on: Mapped[date] = mapped_column(Day(), default=today)
    # Webhook only. A keyed hash of the body: the same key with another body is refused.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # A keyed hash of the signed message (timestamp and body): a captured delivery sent
    # again under a fresh idempotency key is refused, not taken twice.
    message_hash: Mapped[str | None] = mapped_column(String(64))
    # The first answer (reference and receipt, never the codename), sealed under the
    # channel secret, so a redelivery gets the same answer.
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)


class BotConversation(IdMixin, Base):
    """A bot conversation in progress: the chat by keyed hash, the step reached; each
    answer is sealed to the intake key as it comes (see BotFragment)."""

    __tablename__ = "bot_conversations"
    __table_args__ = (UniqueConstraint("integration_id", "chat_hash"),)

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id"))
    chat_hash: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str | None] = mapped_column(String(8))
    # Once the request is made, later messages in the chat go to its ticket.
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    started_on: Mapped[date] = mapped_column(Day(), default=today)
    # The chat id, sealed to the intake key: the public face cannot read it back; the
    # operator face opens it to send an officer's reply to the chat.
    chat: Mapped[bytes | None] = mapped_column(LargeBinary)


class BotFragment(IdMixin, Base):
    """One answer in a bot conversation, sealed to the intake key."""

    __tablename__ = "bot_fragments"
    __table_args__ = (UniqueConstraint("conversation_id", "step"),)

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("bot_conversations.id", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column(Integer)
    box: Mapped[bytes] = mapped_column(LargeBinary)


class OutboxMessage(IdMixin, Base):
    """An answer waiting to be delivered through an integration, exactly once. The chat and
    the text are sealed under the channel secret; the row goes when delivered."""

    __tablename__ = "channel_outbox"

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id"))
    # One answer, one key: enqueueing the same answer twice keeps one message.
    answer_key: Mapped[str] = mapped_column(String(64), unique=True)
    chat: Mapped[bytes] = mapped_column(LargeBinary)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An answer may be several Telegram messages: those sent are not sent again on a retry.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Who claimed it for sending, until when: a crashed sender's claim lapses.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ChannelLimit(Base):
    """A rate-limit window for one bucket (a client, an integration, a contact), named by
    a keyed hash: the store never holds the address or the contact."""

    __tablename__ = "channel_limits"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    count: Mapped[int] = mapped_column(Integer, default=0)
