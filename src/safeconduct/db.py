"""The store: engine, sessions and the declarative base shared by every domain package."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Date, DateTime, MetaData, String, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from safeconduct import clock

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    """Return a random record id; random ids reveal neither order nor count."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Return the current time in UTC, from the clock in force (see `clock`)."""
    return clock.now()


def today() -> date:
    """Return the current UTC day, from the clock in force."""
    return clock.today()


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored and returned in UTC on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Day(TypeDecorator[date]):
    """A day, never a time: the type of every plain date on a record that could link it.

    Precise times in plain columns let anyone holding a copy of the database pair events
    (a request accepted, a person registered minutes later). A column of this type can
    hold nothing finer than the UTC day, whatever is written to it.
    """

    impl = Date
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: Dialect) -> date | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("timestamps must carry a time zone")
            return value.astimezone(UTC).date()
        return value


class IdMixin:
    """A random string primary key, known before insert so sealed fields can bind to it."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


T = TypeVar("T")
# Values per IN (...) list: well under every database's limit on bound parameters.
IN_LIST = 500


def in_chunks(items: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`, one IN (...) list each."""
    for at in range(0, len(items), size):
        yield items[at : at + size]


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return normalise_url(url).startswith("sqlite")


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and serialised writers. A read-only
    engine reads beside the writer instead of waiting for it (and cannot write)."""
    url = normalise_url(url)
    # Never put bound values (names, sealed bytes) into an exception message or a log line.
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        if read_only:
            kwargs.setdefault("execution_options", {"postgresql_readonly": True})
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
    _configure_sqlite(engine, read_only=read_only)
    return engine


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit that was acknowledged survives a crash or a power cut.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten, not left in free pages: erasure and retention must
        # not leave a contact readable in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at once, so two writers never read the
        # same audit head and fork the chain; readers still run beside them (WAL),
        # on a snapshot taken at their first read.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def reclaim(engine: Engine, tables: tuple[str, ...]) -> None:
    """Make what was just deleted or overwritten unreadable in the files: on SQLite, copy
    the write-ahead log into the database and empty it (secure_delete already zeroes freed
    pages); on PostgreSQL, VACUUM the tables so dead row versions go."""
    if is_sqlite(str(engine.url)):
        # Outside any transaction (a checkpoint inside BEGIN IMMEDIATE finds its table locked).
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f'VACUUM "{table}"')


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory for an engine."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Run one unit of work: commit if it ends cleanly, roll back if it raises."""
    with factory() as session, session.begin():
        yield session
