"""Four eyes on sealed values: an account opens them only while an auditor's approval of
it, in its current role, stands.

Existing accounts are left unapproved, set up or not: no one has yet vouched that the
holder of an account the admin made is not the admin. An auditor approves them after the
upgrade (`/audit/approvals`); until then they open nothing sealed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("sealed_role_approved", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("sealed_role_approved")
