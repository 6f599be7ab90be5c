"""The bureau: capture card versions, CTA batches and the sealed records they sent, death
notices and certificates, and the transmission log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:29:08.902855
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cta_batches",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cta_batches")),
        sa.UniqueConstraint("number", name=op.f("uq_cta_batches_number")),
    )
    op.create_table(
        "transmissions",
        sa.Column("output", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmissions")),
    )
    with op.batch_alter_table("transmissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transmissions_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "capture_cards",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_capture_cards_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_cards")),
        sa.UniqueConstraint("person_id", "version", name=op.f("uq_capture_cards_person_id")),
    )
    with op.batch_alter_table("capture_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capture_cards_person_id"), ["person_id"], unique=False)

    op.create_table(
        "cta_records",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["cta_batches.id"],
            name=op.f("fk_cta_records_batch_id_cta_batches"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_cta_records_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cta_records")),
    )
    with op.batch_alter_table("cta_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cta_records_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cta_records_person_id"), ["person_id"], unique=False)

    op.create_table(
        "death_documents",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_death_documents_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_death_documents")),
    )
    with op.batch_alter_table("death_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_death_documents_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("death_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_death_documents_person_id"))

    op.drop_table("death_documents")
    with op.batch_alter_table("cta_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cta_records_person_id"))
        batch_op.drop_index(batch_op.f("ix_cta_records_batch_id"))

    op.drop_table("cta_records")
    with op.batch_alter_table("capture_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_cards_person_id"))

    op.drop_table("capture_cards")
    with op.batch_alter_table("transmissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transmissions_subject_id"))

    op.drop_table("transmissions")
    op.drop_table("cta_batches")
