"""outbox messages: quiet ones, sent without a sound (a family's "all is well" summary);
residents: an index of the few who unfollowed, which the sender checks each multicast against

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


UNFOLLOWED = sa.text("following = false")


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as table:
        table.add_column(
            sa.Column("quiet", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_residents_unfollowed",
        "residents",
        ["line_user_id"],
        postgresql_where=UNFOLLOWED,
        sqlite_where=UNFOLLOWED,
    )


def downgrade() -> None:
    op.drop_index("ix_residents_unfollowed", table_name="residents")
    with op.batch_alter_table("outbox_messages") as table:
        table.drop_column("quiet")
