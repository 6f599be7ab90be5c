"""Invitations instead of admin-set passwords; login back-off per (account, client) and a
throttle per client instead of a lockout any stranger could trigger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(length=200), nullable=True)
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    op.create_table(
        "invitations",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_invitations_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invitations_code_hash")),
    )
    with op.batch_alter_table("invitations") as batch:
        batch.create_index(batch.f("ix_invitations_account_id"), ["account_id"], unique=False)
    op.create_table(
        "login_backoffs",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_login_backoffs_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "client", name=op.f("pk_login_backoffs")),
    )
    op.create_table(
        "client_throttles",
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_client_throttles")),
    )
    # A token of an account that never enrolled TOTP no longer resolves; end them for good.
    op.execute(
        "UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL AND "
        "account_id IN (SELECT id FROM accounts WHERE totp_enrolled_at IS NULL)"
    )


def downgrade() -> None:
    op.drop_table("client_throttles")
    op.drop_table("login_backoffs")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_index(batch.f("ix_invitations_account_id"))
    op.drop_table("invitations")
    # An account still waiting for its invitation gets a hash no password matches.
    op.execute("UPDATE accounts SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("password_hash", existing_type=sa.String(length=200), nullable=False)
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("failed_logins", existing_type=sa.Integer(), server_default=None)
