"""The operators' daily work: custody events, a request's history, notes and assignment,
short request references, a person's revisions and sealed family fields, precomputed search
keys, and an account's time zone.

Existing requests get a random reference each (never a sequence: it would tell order and
count). Search keys of existing people are built by `safeconduct db reindex`, which
`db upgrade` runs after this revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# As `intake.policy` makes them; written out here, since a migration must not change with
# the code that follows it.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _backfill_references() -> None:
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM surrender_requests"))]
    taken: set[str] = set()
    for request_id in ids:
        reference = ""
        while not reference or reference in taken:
            length = 4 if len(taken) < 100_000 else 6
            reference = "R-" + "".join(secrets.choice(ALPHABET) for _ in range(length))
        taken.add(reference)
        bind.execute(
            sa.text("UPDATE surrender_requests SET reference = :ref WHERE id = :id"),
            {"ref": reference, "id": request_id},
        )


def upgrade() -> None:
    op.create_table(
        "person_revisions",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("fields", sa.String(length=400), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_person_revisions_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_revisions")),
        sa.UniqueConstraint("person_id", "number", name=op.f("uq_person_revisions_person_id")),
    )
    with op.batch_alter_table("person_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_revisions_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "person_search_keys",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_person_search_keys_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "field", "key", name=op.f("pk_person_search_keys")),
    )
    with op.batch_alter_table("person_search_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_search_keys_key"), ["key"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column("custody_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("details", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["custody_id"],
            ["custodies.id"],
            name=op.f("fk_custody_events_custody_id_custodies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
        sa.UniqueConstraint("custody_id", "number", name=op.f("uq_custody_events_custody_id")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_events_custody_id"), ["custody_id"], unique=False
        )

    op.create_table(
        "request_events",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("assignee", sa.String(length=36), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee"], ["accounts.id"], name=op.f("fk_request_events_assignee_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["surrender_requests.id"],
            name=op.f("fk_request_events_request_id_surrender_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
        sa.UniqueConstraint("request_id", "number", name=op.f("uq_request_events_request_id")),
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_events_request_id"), ["request_id"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("surrender_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_surrender_requests_assigned_to"), ["assigned_to"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_surrender_requests_reference"), ["reference"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_surrender_requests_assigned_to_accounts"),
            "accounts",
            ["assigned_to"],
            ["id"],
        )

    _backfill_references()


def downgrade() -> None:
    with op.batch_alter_table("surrender_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_surrender_requests_assigned_to_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_surrender_requests_reference"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_surrender_requests_assigned_to"))
        batch_op.drop_column("assigned_to")
        batch_op.drop_column("reference")

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("family")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("time_zone")

    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_events_request_id"))

    op.drop_table("request_events")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_custody_id"))

    op.drop_table("custody_events")
    with op.batch_alter_table("person_search_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_search_keys_key"))

    op.drop_table("person_search_keys")
    with op.batch_alter_table("person_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_revisions_person_id"))

    op.drop_table("person_revisions")
