"""Inquiries: whether one came from another tracing service's file (so an export never sends
it back; those imported before cannot be told apart and stay unmarked) and which scheme of
blocking keys its stored keys follow. The keys' scheme changed (a rule that needs a detail
missing on one side now says which, on each side): every open inquiry is re-keyed by the
next matching passes and everyone registered goes back on the feed of identity changes to be
re-keyed too. Key lookups read a covering index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 03:16:35.374235
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imported", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("keys_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_inquiries_keys_version", ["keys_version"], unique=False)
    with op.batch_alter_table("inquiry_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_keys_key")
        batch_op.create_index("ix_inquiry_keys_key_inquiry", ["key", "inquiry_id"], unique=False)
    with op.batch_alter_table("person_tracing_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_person_tracing_keys_key")
        batch_op.create_index(
            "ix_person_tracing_keys_key_person", ["key", "person_id"], unique=False
        )
    op.execute(
        "INSERT INTO person_changes (person_id) SELECT id FROM persons WHERE erased_on IS NULL"
        " AND id NOT IN (SELECT person_id FROM person_changes)"
    )


def downgrade() -> None:
    with op.batch_alter_table("person_tracing_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_person_tracing_keys_key_person")
        batch_op.create_index("ix_person_tracing_keys_key", ["key"], unique=False)
    with op.batch_alter_table("inquiry_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_keys_key_inquiry")
        batch_op.create_index("ix_inquiry_keys_key", ["key"], unique=False)
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiries_keys_version")
        batch_op.drop_column("keys_version")
        batch_op.drop_column("imported")
