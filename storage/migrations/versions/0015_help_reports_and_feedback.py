"""生活応援隊: what a supporter reports once the help is done, and what the person helped says

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("not_done_reason", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("reported_at", storage.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("feedback", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("feedback_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        for column in ("feedback_at", "feedback", "reported_at", "not_done_reason", "minutes"):
            batch.drop_column(column)
