"""two-factor sign-in: TOTP secrets, recovery codes, per-role requirements, half-done sessions

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as table:
        table.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("totp_pending_secret", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("totp_enrolled_at", storage.types.UTCDateTime(), nullable=True))
        table.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("console_sessions") as table:
        table.add_column(sa.Column("pending", sa.String(length=12), nullable=True))
        table.add_column(
            sa.Column("failed_codes", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_staff_recovery_codes_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_recovery_codes"),
    )
    op.create_index(
        "ix_staff_recovery_codes_staff_id", "staff_recovery_codes", ["staff_id"], unique=False
    )
    op.create_table(
        "role_policies",
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("two_factor_required", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("role", name="pk_role_policies"),
    )


def downgrade() -> None:
    op.drop_table("role_policies")
    op.drop_index("ix_staff_recovery_codes_staff_id", table_name="staff_recovery_codes")
    op.drop_table("staff_recovery_codes")
    with op.batch_alter_table("console_sessions") as table:
        table.drop_column("failed_codes")
        table.drop_column("pending")
    with op.batch_alter_table("staff") as table:
        table.drop_column("totp_last_step")
        table.drop_column("totp_enrolled_at")
        table.drop_column("totp_pending_secret")
        table.drop_column("totp_secret")
