"""ケアネット: which round each neighbour was asked about, and what they answered

So that a second tap on 見てきます adds no second note, the neighbours who are on their way
can be told when the resident answers, and what a neighbour types afterwards reaches the
round's ticket.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_net_links") as batch:
        batch.add_column(sa.Column("asked_round_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("answer", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("answered_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("care_net_links") as batch:
        batch.drop_column("answered_at")
        batch.drop_column("answer")
        batch.drop_column("asked_round_id")
