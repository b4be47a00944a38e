"""deadlines: one partial index over pending rows, in the order the sweep takes them

Revision ID: 0008
Revises: 0007

The sweep asks for pending rows, earliest first, ties by id. An index on (status, due_at)
left PostgreSQL sorting every due row for each batch of 500, so 100,000 check-ins due at
8:00 cost a sort of 100,000 rows two hundred times. The partial index holds only pending
rows (fired ones never enter it) and is already in the sweep's order. The (kind, subject_id)
index served no query, and cost every deadline written an entry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_index("ix_deadlines_due", table_name="deadlines")
    op.drop_index("ix_deadlines_subject", table_name="deadlines")
    op.create_index(
        "ix_deadlines_pending",
        "deadlines",
        ["due_at", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_deadlines_pending", table_name="deadlines")
    op.create_index("ix_deadlines_subject", "deadlines", ["kind", "subject_id"])
    op.create_index("ix_deadlines_due", "deadlines", ["status", "due_at"])
