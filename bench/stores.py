"""Throw-away stores for a benchmark run: a SQLite file in a temporary folder, or a fresh
PostgreSQL database (server from SAFECONDUCT_BENCH_PG_URL) dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def sqlite_store(prefix: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def postgresql_store(prefix: str) -> Iterator[str]:
    server = make_url(os.environ.get("SAFECONDUCT_BENCH_PG_URL", PG_SERVER))
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


STORES: dict[str, Callable[[str], AbstractContextManager[str]]] = {
    "sqlite": sqlite_store,
    "postgresql": postgresql_store,
}
