"""Repatriation: each person's wish, as stated and as a neutral verifier found it in a
private interview; exchange events, their lists, what froze them and what invalidated them;
and the end-of-hostilities plan of those who stay (GC III Art. 118)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class Wish(StrEnum):
    RETURN = "return"
    STAY = "stay"  # does not want to return while the war goes on
    UNDECIDED = "undecided"


class WishSource(StrEnum):
    """Who heard the wish: a statement to welfare or the registrar, or the verifier's
    finding in an interview."""

    STATEMENT = "statement"
    INTERVIEW = "interview"


class WishRecord(IdMixin, Base):
    """One wish as heard, never edited: a later record supersedes it. Records are ordered
    by `number` (the order they were recorded in), not by their day: a statement recorded
    after an interview is later, whatever day it names. An interview carries what the
    verifier found: held without witnesses or not, an interpreter, the language, the risk on
    return; its notes and the risk's reasons are sealed under the person's data key, and
    only the verifier opens them."""

    __tablename__ = "wish_records"
    __table_args__ = (
        UniqueConstraint("person_id", "number"),
        # The builder's first cut: private interviews that found a wish to return, by day,
        # answered from the index alone (the whole population's records are not read).
        Index(
            "ix_wish_records_found",
            "source",
            "wish",
            "stated_on",
            "without_witnesses",
            "person_id",
            "number",
        ),
    )

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    wish: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    # The day the person said it or the interview was held; never a time.
    stated_on: Mapped[date] = mapped_column(Date)
    recorded_on: Mapped[date] = mapped_column(Day(), default=today)
    note: Mapped[Sealed | None] = mapped_column(SealedType())
    # Interviews only.
    without_witnesses: Mapped[bool | None] = mapped_column(Boolean)
    interpreter: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str | None] = mapped_column(String(16))
    risk_on_return: Mapped[bool | None] = mapped_column(Boolean)
    risk_reasons: Mapped[Sealed | None] = mapped_column(SealedType())


class StayPlan(StrEnum):
    """What happens at the end of hostilities to one who does not return (Art. 118)."""

    REMAIN_INTERNED = "remain_interned"
    RELEASE_RESETTLE = "release_resettle"
    THIRD_STATE = "third_state"


class StayPlanRecord(IdMixin, Base):
    """A person's end-of-hostilities plan; the latest is in force."""

    __tablename__ = "stay_plans"
    __table_args__ = (UniqueConstraint("person_id", "number"),)

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(128))
    recorded_on: Mapped[date] = mapped_column(Day(), default=today)


class Category(StrEnum):
    """Exchange categories, filled one for one up to each quota; the seriously wounded and
    sick first (Arts. 109-110)."""

    WOUNDED_SICK = "wounded_sick"
    OFFICER = "officer"
    ENLISTED = "enlisted"


class EventStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ExchangeEvent(IdMixin, Base):
    """An exchange agreed with a counterpart on a planned day, with a quota per category."""

    __tablename__ = "exchange_events"

    counterpart: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[date] = mapped_column(Date)
    quota_wounded_sick: Mapped[int] = mapped_column(Integer)
    quota_officer: Mapped[int] = mapped_column(Integer)
    quota_enlisted: Mapped[int] = mapped_column(Integer)
    # The freshness window in force when the event was made: a setting changed later does
    # not change which interviews count for it.
    window_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.OPEN.value)
    created_by: Mapped[str] = mapped_column(String(128))
    created_on: Mapped[date] = mapped_column(Day(), default=today)
    # Bumped on every change to the event or its list: a stale form gets 409.
    version: Mapped[int] = mapped_column(Integer, default=1)


class ListStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # frozen: signed, exportable
    INVALIDATED = "invalidated"  # was approved; someone on it is no longer eligible


class ExchangeList(IdMixin, Base):
    """The list of an exchange event (one per event). Approval freezes it into a signed
    canonical document; an invalidated list is edited and approved anew."""

    __tablename__ = "exchange_lists"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("exchange_events.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default=ListStatus.DRAFT.value)
    created_by: Mapped[str] = mapped_column(String(128))
    approvals: Mapped[int] = mapped_column(Integer, default=0)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_on: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str | None] = mapped_column(Text)  # canonical JSON, Art. 17 only
    sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(100))
    key_id: Mapped[str | None] = mapped_column(String(32))
    invalidated_on: Mapped[date | None] = mapped_column(Date)


class ExchangeListAuthor(Base):
    """Everyone who built or changed a list: none of them may approve it (four eyes)."""

    __tablename__ = "exchange_list_authors"

    list_id: Mapped[str] = mapped_column(
        ForeignKey("exchange_lists.id", ondelete="CASCADE"), primary_key=True
    )
    actor: Mapped[str] = mapped_column(String(128), primary_key=True)


class RemovalReason(StrEnum):
    """Why a person was taken off a list: a fixed choice, never free text (a free reason
    is where a wish or a circumstance would be written down)."""

    QUOTA = "quota"
    PRIORITY = "priority"  # another has a stronger claim (Arts. 109-110)
    COUNTERPART = "counterpart"  # the counterpart asked for another
    IDENTITY_DOUBT = "identity_doubt"
    INELIGIBLE = "ineligible"  # named by an invalidation
    OTHER = "other"


class ExchangeListMember(IdMixin, Base):
    """A person on a list, or taken off it (`removed_on`, with a reason). `place` is the
    place of internment when the list was last approved: a transfer since invalidates."""

    __tablename__ = "exchange_list_members"
    __table_args__ = (Index("ix_exchange_list_members_person", "person_id"),)

    list_id: Mapped[str] = mapped_column(
        ForeignKey("exchange_lists.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    custody_id: Mapped[str] = mapped_column(ForeignKey("custodies.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    added_by: Mapped[str] = mapped_column(String(128))
    place: Mapped[str | None] = mapped_column(String(200))
    removed_on: Mapped[date | None] = mapped_column(Day())
    removed_by: Mapped[str | None] = mapped_column(String(128))
    removed_reason: Mapped[str | None] = mapped_column(String(16))


class Invalidation(IdMixin, Base):
    """A person on an approved list who became ineligible, and why: the exchange and
    verifier roles see these until the list is approved anew."""

    __tablename__ = "exchange_invalidations"

    list_id: Mapped[str] = mapped_column(
        ForeignKey("exchange_lists.id", ondelete="RESTRICT"), index=True
    )
    approval: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(String(24))
    found_on: Mapped[date] = mapped_column(Day(), default=today)
