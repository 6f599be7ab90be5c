"""Plain dates on records become days (never times); audit entries name the credential used.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> [(old timestamp column, new day column, nullable)]
RENAMES: dict[str, list[tuple[str, str, bool]]] = {
    "persons": [
        ("created_at", "registered_on", False),
        ("updated_at", "updated_on", False),
        ("erased_at", "erased_on", True),
    ],
    "custodies": [("created_at", "recorded_on", False)],
    "surrender_requests": [
        ("received_at", "received_on", False),
        ("status_changed_at", "status_changed_on", False),
    ],
    "data_keys": [("created_at", "created_on", False), ("destroyed_at", "destroyed_on", True)],
}


def _day_of(column: str) -> str:
    """SQL for the UTC day of a stored timestamp."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS...' text.
        return f"substr({column}, 1, 10)"
    return f"({column} AT TIME ZONE 'UTC')::date"


def upgrade() -> None:
    for table, columns in RENAMES.items():
        with op.batch_alter_table(table) as batch:
            for _old, new, _nullable in columns:
                batch.add_column(sa.Column(new, sa.Date(), nullable=True))
        sets = ", ".join(f"{new} = {_day_of(old)}" for old, new, _n in columns)
        op.execute(f"UPDATE {table} SET {sets}")  # noqa: S608 - names from the table above
        with op.batch_alter_table(table) as batch:
            for old, new, nullable in columns:
                if not nullable:
                    batch.alter_column(new, existing_type=sa.Date(), nullable=False)
                batch.drop_column(old)
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("credential", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("credential")
    for table, columns in RENAMES.items():
        with op.batch_alter_table(table) as batch:
            for old, _new, _nullable in columns:
                batch.add_column(sa.Column(old, sa.DateTime(timezone=True), nullable=True))
        sets = ", ".join(f"{old} = {new}" for old, new, _n in columns)
        op.execute(f"UPDATE {table} SET {sets}")  # noqa: S608 - names from the table above
        with op.batch_alter_table(table) as batch:
            for old, new, nullable in columns:
                if not nullable:
                    batch.alter_column(
                        old, existing_type=sa.DateTime(timezone=True), nullable=False
                    )
                batch.drop_column(new)
