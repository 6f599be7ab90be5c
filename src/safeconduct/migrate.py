"""Run and check Alembic migrations from the package, without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from safeconduct.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(db_url).replace("%", "%%"))
    return config


def upgrade(db_url: str, revision: str = "head") -> None:
    """Bring the database to the newest schema; running it twice changes nothing."""
    command.upgrade(alembic_config(db_url), revision)


def check(db_url: str) -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(db_url))


def revision(db_url: str, message: str) -> None:
    """Autogenerate a new migration (a developer's tool)."""
    command.revision(alembic_config(db_url), message=message, autogenerate=True)
