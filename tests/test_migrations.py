"""One migration history for both databases; running it twice changes nothing."""

from __future__ import annotations

from safeconduct import migrate


def test_upgrade_twice_and_models_agree(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)
    migrate.check(db_url)  # raises if the models and migrations disagree
