"""Treatment: the events of a person's treatment in custody (GC III Arts. 30-31, 48-57,
70-71, 78, 82-108, 122-126), from which the obligations engine reads each duty's state.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "treatment_events",
        sa.Column("custody_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("seriously_ill", sa.Boolean(), nullable=True),
        sa.Column("private_interview", sa.Boolean(), nullable=True),
        sa.Column("letters", sa.Integer(), nullable=True),
        sa.Column("cards", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=True),
        sa.Column("trial_on", sa.Date(), nullable=True),
        sa.Column("notice_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["custody_id"],
            ["custodies.id"],
            name=op.f("fk_treatment_events_custody_id_custodies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["treatment_events.id"],
            name=op.f("fk_treatment_events_supersedes_id_treatment_events"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_events")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_treatment_events_supersedes_id")),
    )
    with op.batch_alter_table("treatment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_events_custody_id"), ["custody_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("treatment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_events_custody_id"))
    op.drop_table("treatment_events")
