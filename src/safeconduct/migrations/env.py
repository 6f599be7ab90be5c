"""Alembic environment: batch mode on SQLite, lock and statement timeouts on PostgreSQL."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from safeconduct.db import make_engine
from safeconduct.models import Base
from safeconduct.security.sealing import SealedType

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations store sealed columns as plain bytes; they never import application types.
    if type_ == "type" and isinstance(obj, SealedType):
        return "sa.LargeBinary()"
    return False


def _run(connection: object) -> None:
    is_sqlite = connection.dialect.name == "sqlite"  # type: ignore[attr-defined]
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        render_item=_render_item,
    )
    if is_sqlite:
        # Batch mode rebuilds a table by copy, drop and rename; with foreign keys on, the
        # drop of a referenced table fails. The pragma only takes effect outside a
        # transaction, so it goes to the driver before ours begins; checked again below.
        _driver(connection).execute("PRAGMA foreign_keys=OFF")
    with context.begin_transaction():
        if not is_sqlite:
            # Never wait forever on a lock held by a live service, nor run away.
            context.execute("SET LOCAL lock_timeout = '10s'")
            context.execute("SET LOCAL statement_timeout = '10min'")
        context.run_migrations()
        if is_sqlite and _driver(connection).execute("PRAGMA foreign_key_check").fetchall():
            raise RuntimeError("migration left rows whose foreign keys point nowhere")
    if is_sqlite:
        _driver(connection).execute("PRAGMA foreign_keys=ON")


def _driver(connection: Any) -> Any:
    return connection.connection.dbapi_connection


run_migrations()
