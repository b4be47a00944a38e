"""ticket attachments: the photos and files residents sent, fetched from LINE and kept

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_message_id", sa.Integer(), nullable=False),
        sa.Column("line_message_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("fetched_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_message_id"],
            ["ticket_messages.id"],
            name="fk_ticket_attachments_ticket_message",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_attachments"),
    )
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_attachments_due", ["status", "next_try_at"], unique=False)
        batch_op.create_index(
            "ix_ticket_attachments_line_message_id", ["line_message_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_attachments_ticket_message_id", ["ticket_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_attachments_ticket_message_id")
        batch_op.drop_index("ix_ticket_attachments_line_message_id")
        batch_op.drop_index("ix_ticket_attachments_due")
    op.drop_table("ticket_attachments")
