"""One migration history for both databases; running it twice changes nothing."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from safeconduct import migrate
from safeconduct.db import normalise_url


def test_upgrade_twice_and_models_agree(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)
    migrate.check(db_url)  # raises if the models and migrations disagree


def test_existing_accounts_are_left_unapproved(db_url: str) -> None:
    """0005 approves no one, not even an account set up in a sealed role: no auditor has
    yet vouched for its holder, so it opens nothing sealed until one does."""
    command.downgrade(migrate.alembic_config(db_url), "0004")
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, username, password_hash, role, totp_enrolled_at,"
                    " language, created_at) VALUES ('a1', 'ver', 'hash', 'verifier',"
                    " CURRENT_TIMESTAMP, 'en', CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            approved = conn.execute(text("SELECT sealed_role_approved FROM accounts")).all()
    finally:
        engine.dispose()
    assert approved == [(None,)]
