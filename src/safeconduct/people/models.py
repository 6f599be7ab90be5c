"""A person held: the identity GC III Art. 17 asks for, and what protection needs."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class Person(IdMixin, Base):
    """Art. 17 identity. Surname, given names, rank, date of birth and service number are
    what a prisoner must give; every other field is voluntary."""

    __tablename__ = "persons"

    surname: Mapped[str] = mapped_column(String(200), index=True)
    given_names: Mapped[str] = mapped_column(String(200))
    # Patronymic, or father's first name where the naming custom has none.
    patronymic: Mapped[str | None] = mapped_column(String(200))
    # YYYY-MM-DD, YYYY-MM or YYYY: a prisoner may know only part of it.
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    place_of_birth: Mapped[str | None] = mapped_column(String(200))
    rank: Mapped[str | None] = mapped_column(String(100))
    service_number: Mapped[str | None] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(16), default=Sex.UNKNOWN.value)
    # The power on which the person depends (GC III Art. 4), as a free name.
    nationality: Mapped[str | None] = mapped_column(String(100))
    # Full name as written in the person's own script, when the fields above are a transliteration.
    name_original_script: Mapped[str | None] = mapped_column(String(400))
    # The voluntary Art. 122(4) fields that identify family members (father's first name,
    # mother's maiden name, the person to be informed, the address for correspondence),
    # sealed under the person's data key, so erasure takes them too.
    family: Mapped[Sealed | None] = mapped_column(SealedType())
    # Days, never times (see db.Day): a registration time would pair a person with the
    # request or the capture that brought them in.
    registered_on: Mapped[date] = mapped_column(Day(), default=today)
    updated_on: Mapped[date] = mapped_column(Day(), default=today, onupdate=today)
    erased_on: Mapped[date | None] = mapped_column(Day())


class PersonRevision(IdMixin, Base):
    """One change to a person's record: who, which day, which fields, why, and the plain
    identity values before and after (JSON), blanked when the person is erased."""

    __tablename__ = "person_revisions"
    __table_args__ = (UniqueConstraint("person_id", "number"),)

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    changed_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))
    fields: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class PersonSearchKey(Base):
    """A precomputed search key of a person (a normalised, script-independent form of a
    name, a date of birth part or a service number), so search is an indexed lookup."""

    __tablename__ = "person_search_keys"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class PersonChange(Base):
    """A person whose identity changed (registered, corrected, erased) since those who index
    people last looked: a feed the tracing index consumes (inquiries.matching), so a new
    registration is found without reading the whole register. One row per person however
    many changes; the consumer deletes it."""

    __tablename__ = "person_changes"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
