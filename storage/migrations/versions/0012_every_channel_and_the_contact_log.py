"""every channel is a ticket: residents without LINE, a ticket's channel, the contact log

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("residents") as table:
        table.alter_column("line_user_id", existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table("tickets") as table:
        table.add_column(
            sa.Column("channel", sa.String(length=12), nullable=False, server_default="line")
        )
        table.add_column(sa.Column("follow_up_at", storage.types.UTCDateTime(), nullable=True))
    op.create_table(
        "ticket_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("contacted_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("next_action_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_contacts_ticket"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_ticket_contacts_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_contacts"),
    )
    op.create_index("ix_ticket_contacts_ticket_id", "ticket_contacts", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_contacts_ticket_id", table_name="ticket_contacts")
    op.drop_table("ticket_contacts")
    with op.batch_alter_table("tickets") as table:
        table.drop_column("follow_up_at")
        table.drop_column("channel")
    # A resident without LINE gets an address no LINE user has, so the column can require one.
    op.execute("UPDATE residents SET line_user_id = 'none-' || id WHERE line_user_id IS NULL")
    with op.batch_alter_table("residents") as table:
        table.alter_column("line_user_id", existing_type=sa.String(length=64), nullable=False)
