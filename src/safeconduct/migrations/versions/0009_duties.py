"""Duties: the facts of the commission and death duties (GC III Arts. 109-113, 120-121),
and each custody's duty marks, which the obligations engine keeps on every write so that
every duty's state for the whole population is read without rescanning the events.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# The duties as they stood at this revision: a duty added later adds its columns.
CODES = (
    "capture_card",
    "cta_notification",
    "medical_inspection",
    "correspondence",
    "neutral_visit",
    "health_report",
    "trial_notice",
    "medical_commission",
    "transfer_notice",
    "death_certificate",
    "death_notification",
    "death_inquiry",
)


def upgrade() -> None:
    with op.batch_alter_table("treatment_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("cause_known", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("other_person_involved", sa.Boolean(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_treatment_events_occurred_on"), ["occurred_on"], unique=False
        )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_events_occurred_on"), ["occurred_on"], unique=False
        )
    op.create_table(
        "duty_marks",
        sa.Column("custody_id", sa.String(length=36), nullable=False),
        *(
            sa.Column(f"{code}_{what}", sa.Date(), nullable=True)
            for code in CODES
            for what in ("start", "met")
        ),
        sa.Column("death_explained", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["custody_id"],
            ["custodies.id"],
            name=op.f("fk_duty_marks_custody_id_custodies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("custody_id", name=op.f("pk_duty_marks")),
    )
    # Treatment events before this revision have no marks: make them, as `engine.rebuild`
    # would, is left to `safeconduct duties rebuild` (the events came only in 0008, with
    # the duties, and no store has kept them yet).


def downgrade() -> None:
    op.drop_table("duty_marks")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_occurred_on"))
    with op.batch_alter_table("treatment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_events_occurred_on"))
        batch_op.drop_column("other_person_involved")
        batch_op.drop_column("cause_known")
        batch_op.drop_column("consent")
