"""Shared fixtures: a fresh, migrated store per test on SQLite and on PostgreSQL.

PostgreSQL tests read the server URL from SAFECONDUCT_TEST_PG_URL (set by .ci/run).
Without it they skip with a visible reason; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from safeconduct import migrate
from safeconduct.config import Settings
from safeconduct.runtime import Runtime, create_demo_channel_keys, open_runtime
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import create_signer

PG_ENV = "SAFECONDUCT_TEST_PG_URL"


def pg_server_url() -> str:
    """Return the PostgreSQL URL for tests, or skip (fail under CI) when there is none."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{PG_ENV} is not set under CI: PostgreSQL tests must not skip")
    pytest.skip(f"PostgreSQL tests need {PG_ENV} (set by .ci/run)")


class PgDatabases:
    """Create throw-away PostgreSQL databases from one migrated template."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url).set(drivername="postgresql+psycopg")
        self.engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.template = f"{self.server_url.database}_tmpl_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        migrate.upgrade(self.url_of(self.template))

    def url_of(self, name: str) -> str:
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        name = f"{self.server_url.database}_t_{uuid.uuid4().hex[:10]}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url_of(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.drop(self.url_of(self.template))
        self.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    dbs = PgDatabases(pg_server_url())
    yield dbs
    dbs.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh, migrated database; every storage test runs once per database."""
    if request.param == "sqlite":
        target = tmp_path / "store.db"
        shutil.copy(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    dbs: PgDatabases = request.getfixturevalue("pg_databases")
    url = dbs.fresh()
    yield url
    dbs.drop(url)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    keys = tmp_path / "keys"
    FileKeyProvider.create(keys / "kek.json")
    service = create_signer(keys / "signing.pem")
    settings = Settings(
        db_url=db_url,
        kek_file=keys / "kek.json",
        signing_key_file=keys / "signing.pem",
        audit_checkpoint_every=10,
        intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / "intake.pub.pem",
        channel_key_file=keys / "channel.pem",
        channel_keys_file=keys / "channel-keys.json",
        channel_secret_file=keys / "channel-secret.key",
    )
    create_demo_channel_keys(settings, service)
    return settings


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()
