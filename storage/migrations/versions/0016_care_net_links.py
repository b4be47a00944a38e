"""ケアネット: the neighbours linked to a watch-over resident, with the resident's consent

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ACTIVE = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "care_net_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("consent_recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("consent_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_recorded_by_id"],
            ["staff.id"],
            name="fk_care_net_links_consent_recorded_by_id",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["watch_enrolments.id"], name="fk_care_net_links_enrolment_id"
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"], ["supporters.id"], name="fk_care_net_links_supporter_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_care_net_links"),
    )
    op.create_index(
        "uq_care_net_links_active",
        "care_net_links",
        ["enrolment_id", "supporter_id"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index("ix_care_net_links_supporter", "care_net_links", ["supporter_id"])


def downgrade() -> None:
    op.drop_index("ix_care_net_links_supporter", table_name="care_net_links")
    op.drop_index("uq_care_net_links_active", table_name="care_net_links")
    op.drop_table("care_net_links")
