"""生活応援隊: supporters, help requests, and the offers that put a request to a supporter

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("reach_km", sa.Float(), nullable=True),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("time_bands", sa.JSON(), nullable=False),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("consent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("first_name", sa.String(length=40), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_helped_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("left_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["staff.id"], name="fk_supporters_approved_by_id"
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name="fk_supporters_district_id"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_supporters_resident_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_supporters"),
        sa.UniqueConstraint("resident_id", name="uq_supporters_resident"),
    )
    op.create_index("ix_supporters_status", "supporters", ["status"], unique=False)
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("wanted_from", storage.types.UTCDateTime(), nullable=False),
        sa.Column("wanted_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("first_name", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name="fk_help_requests_district_id"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_help_requests_resident_id"
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"], ["supporters.id"], name="fk_help_requests_taken_by_id"
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_help_requests_ticket_id"),
        sa.PrimaryKeyConstraint("id", name="pk_help_requests"),
    )
    op.create_index("ix_help_requests_status", "help_requests", ["status"], unique=False)
    op.create_table(
        "help_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["help_requests.id"], name="fk_help_offers_request_id"
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"], ["supporters.id"], name="fk_help_offers_supporter_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_help_offers"),
        sa.UniqueConstraint("request_id", "supporter_id", name="uq_help_offers_pair"),
    )
    op.create_index(
        "ix_help_offers_supporter", "help_offers", ["supporter_id", "answer"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_help_offers_supporter", table_name="help_offers")
    op.drop_table("help_offers")
    op.drop_index("ix_help_requests_status", table_name="help_requests")
    op.drop_table("help_requests")
    op.drop_index("ix_supporters_status", table_name="supporters")
    op.drop_table("supporters")
