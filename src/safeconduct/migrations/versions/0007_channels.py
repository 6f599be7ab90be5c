"""Channels: the public face's sealed inbox, applicants' tickets and replies, integrations,
bot conversations, the outbox, rate-limit windows; on requests, their kind, the probe flag,
the contact's blind index, the sealed reply key and the day their channel data went.

Every existing request gets a ticket with its reference and public status, and no codename
(no applicant holds one for it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_limits",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_channel_limits")),
    )
    op.create_table(
        "integrations",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("secret_version", sa.Integer(), nullable=False),
        sa.Column("bot_token", sa.LargeBinary(), nullable=True),
        sa.Column("handle", sa.String(length=128), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("disabled_on", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("name", name=op.f("uq_integrations_name")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("codename_hash", sa.String(length=64), nullable=True),
        sa.Column("public_status", sa.String(length=16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("codename_hash", name=op.f("uq_tickets_codename_hash")),
        sa.UniqueConstraint("reference", name=op.f("uq_tickets_reference")),
    )
    op.create_table(
        "bot_conversations",
        sa.Column("integration_id", sa.String(length=36), nullable=False),
        sa.Column("chat_hash", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("chat", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_bot_conversations_integration_id_integrations"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_bot_conversations_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_conversations")),
        sa.UniqueConstraint(
            "integration_id", "chat_hash", name=op.f("uq_bot_conversations_integration_id")
        ),
    )
    op.create_table(
        "channel_deliveries",
        sa.Column("integration_id", sa.String(length=36), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("message_hash", sa.String(length=64), nullable=True),
        sa.Column("answer", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_channel_deliveries_integration_id_integrations"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_channel_deliveries_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_deliveries")),
        sa.UniqueConstraint(
            "integration_id", "key_hash", name=op.f("uq_channel_deliveries_integration_id")
        ),
        sa.UniqueConstraint(
            "message_hash", "integration_id", name=op.f("uq_channel_deliveries_message_hash")
        ),
    )
    op.create_table(
        "channel_outbox",
        sa.Column("integration_id", sa.String(length=36), nullable=False),
        sa.Column("answer_key", sa.String(length=64), nullable=False),
        sa.Column("chat", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_channel_outbox_integration_id_integrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_outbox")),
        sa.UniqueConstraint("answer_key", name=op.f("uq_channel_outbox_answer_key")),
    )
    op.create_table(
        "submissions",
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("integration_id", sa.String(length=36), nullable=True),
        sa.Column("box", sa.LargeBinary(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_submissions_integration_id_integrations"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_submissions_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    op.create_table(
        "ticket_replies",
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_replies_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_replies")),
        sa.UniqueConstraint("ticket_id", "number", name=op.f("uq_ticket_replies_ticket_id")),
    )
    op.create_table(
        "bot_fragments",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("box", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["bot_conversations.id"],
            name=op.f("fk_bot_fragments_conversation_id_bot_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_fragments")),
        sa.UniqueConstraint(
            "conversation_id", "step", name=op.f("uq_bot_fragments_conversation_id")
        ),
    )
    with op.batch_alter_table("surrender_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="surrender")
        )
        batch_op.add_column(
            sa.Column("suspected_probe", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("contact_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reply_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("channel_data_destroyed_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_surrender_requests_contact_index"), ["contact_index"], unique=False
        )

    _backfill_tickets()


# As `channels.policy.public_status` maps them; written out, since a migration must not
# change with the code that follows it.
_PUBLIC = {"received": "received", "in_review": "in_review"}


def _backfill_tickets() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, reference, status, received_on FROM surrender_requests")
    ).all()
    for request_id, reference, status, received_on in rows:
        bind.execute(
            sa.text(
                "INSERT INTO tickets (id, reference, public_status, opened_on) "
                "VALUES (:id, :reference, :status, :opened)"
            ),
            {
                "id": request_id,
                "reference": reference,
                "status": _PUBLIC.get(status, "closed"),
                "opened": received_on,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("surrender_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surrender_requests_contact_index"))
        batch_op.drop_column("channel_data_destroyed_on")
        batch_op.drop_column("reply_key")
        batch_op.drop_column("contact_index")
        batch_op.drop_column("suspected_probe")
        batch_op.drop_column("kind")

    op.drop_table("bot_fragments")
    op.drop_table("ticket_replies")
    op.drop_table("submissions")
    op.drop_table("channel_outbox")
    op.drop_table("channel_deliveries")
    op.drop_table("bot_conversations")
    op.drop_table("tickets")
    op.drop_table("integrations")
    op.drop_table("channel_limits")
