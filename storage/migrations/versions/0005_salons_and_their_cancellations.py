"""salons and their cancellations (issue 6: salon lookup)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:43:14.705283
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "salons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("community_area", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("venue", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("schedule_text", sa.String(length=200), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("weekday_mask", sa.Integer(), nullable=False),
        sa.Column("skip_holidays", sa.Boolean(), nullable=False),
        sa.Column("skip_year_end", sa.Boolean(), nullable=False),
        sa.Column("fee", sa.String(length=80), nullable=False),
        sa.Column("audience_mask", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Text(), nullable=False),
        sa.Column("what_to_bring", sa.String(length=200), nullable=False),
        sa.Column("how_to_join", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("organiser", sa.String(length=120), nullable=False),
        sa.Column("accessibility", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_confirmed", sa.Date(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fureai', 'kosodate', 'kayoi', 'cafe', 'ibasho', 'other')",
            name="ck_salons_kind",
        ),
        sa.CheckConstraint("status IN ('active', 'paused', 'ended')", name="ck_salons_status"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name="fk_salons_district"),
        sa.PrimaryKeyConstraint("id", name="pk_salons"),
        sa.UniqueConstraint("code", name="uq_salons_code"),
    )
    with op.batch_alter_table("salons", schema=None) as batch_op:
        batch_op.create_index("ix_salons_district", ["district_id", "status"], unique=False)
        batch_op.create_index(
            "ix_salons_status_position", ["status", "latitude", "longitude"], unique=False
        )

    op.create_table(
        "salon_cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("salon_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["salon_id"], ["salons.id"], name="fk_salon_cancellations_salon", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_salon_cancellations"),
        sa.UniqueConstraint("salon_id", "day", name="uq_salon_cancellations_day"),
    )


def downgrade() -> None:
    op.drop_table("salon_cancellations")
    with op.batch_alter_table("salons", schema=None) as batch_op:
        batch_op.drop_index("ix_salons_status_position")
        batch_op.drop_index("ix_salons_district")

    op.drop_table("salons")
