"""Repatriation: wish records (statements and the verifier's interviews), the plans of those
who stay (Art. 118), exchange events, their lists, the people on them, who built them, and
what invalidated them (guarantee 3).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 17:25:26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_events",
        sa.Column("counterpart", sa.String(length=200), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("quota_wounded_sick", sa.Integer(), nullable=False),
        sa.Column("quota_officer", sa.Integer(), nullable=False),
        sa.Column("quota_enlisted", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_events")),
    )
    op.create_table(
        "exchange_lists",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("signature", sa.String(length=100), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("invalidated_on", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["exchange_events.id"],
            name=op.f("fk_exchange_lists_event_id_exchange_events"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_lists")),
        sa.UniqueConstraint("event_id", name=op.f("uq_exchange_lists_event_id")),
    )
    op.create_table(
        "stay_plans",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_stay_plans_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stay_plans")),
        sa.UniqueConstraint("person_id", "number", name=op.f("uq_stay_plans_person_id")),
    )
    with op.batch_alter_table("stay_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stay_plans_person_id"), ["person_id"], unique=False)

    op.create_table(
        "wish_records",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("wish", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("stated_on", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("without_witnesses", sa.Boolean(), nullable=True),
        sa.Column("interpreter", sa.Boolean(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("risk_on_return", sa.Boolean(), nullable=True),
        sa.Column("risk_reasons", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_wish_records_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish_records")),
        sa.UniqueConstraint("person_id", "number", name=op.f("uq_wish_records_person_id")),
    )
    with op.batch_alter_table("wish_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wish_records_found",
            ["source", "wish", "stated_on", "without_witnesses", "person_id", "number"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_wish_records_person_id"), ["person_id"], unique=False)

    op.create_table(
        "exchange_invalidations",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("approval", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["exchange_lists.id"],
            name=op.f("fk_exchange_invalidations_list_id_exchange_lists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_exchange_invalidations_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_invalidations")),
    )
    with op.batch_alter_table("exchange_invalidations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_invalidations_list_id"), ["list_id"], unique=False
        )

    op.create_table(
        "exchange_list_authors",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["exchange_lists.id"],
            name=op.f("fk_exchange_list_authors_list_id_exchange_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "actor", name=op.f("pk_exchange_list_authors")),
    )
    op.create_table(
        "exchange_list_members",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("custody_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removed_by", sa.String(length=128), nullable=True),
        sa.Column("removed_reason", sa.String(length=16), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["custody_id"],
            ["custodies.id"],
            name=op.f("fk_exchange_list_members_custody_id_custodies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["exchange_lists.id"],
            name=op.f("fk_exchange_list_members_list_id_exchange_lists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_exchange_list_members_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_list_members")),
    )
    with op.batch_alter_table("exchange_list_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_list_members_list_id"), ["list_id"], unique=False
        )
        batch_op.create_index("ix_exchange_list_members_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_list_members", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_list_members_person")
        batch_op.drop_index(batch_op.f("ix_exchange_list_members_list_id"))

    op.drop_table("exchange_list_members")
    op.drop_table("exchange_list_authors")
    with op.batch_alter_table("exchange_invalidations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_invalidations_list_id"))

    op.drop_table("exchange_invalidations")
    with op.batch_alter_table("wish_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wish_records_person_id"))
        batch_op.drop_index("ix_wish_records_found")

    op.drop_table("wish_records")
    with op.batch_alter_table("stay_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stay_plans_person_id"))

    op.drop_table("stay_plans")
    op.drop_table("exchange_lists")
    op.drop_table("exchange_events")
