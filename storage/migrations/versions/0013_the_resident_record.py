"""the resident record: staff-kept details with their sources, and emergency contacts

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("source_reference", sa.String(length=20), nullable=True),
        sa.Column("source_kind", sa.String(length=20), nullable=True),
        sa.Column("source_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_resident_details_resident_id"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_resident_details_staff_id"),
        sa.PrimaryKeyConstraint("id", name="pk_resident_details"),
        sa.UniqueConstraint("resident_id", "field", name="uq_resident_details_field"),
    )
    op.create_table(
        "resident_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_resident_contacts_resident_id"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_resident_contacts_staff_id"),
        sa.PrimaryKeyConstraint("id", name="pk_resident_contacts"),
    )
    op.create_index(
        "ix_resident_contacts_resident_id", "resident_contacts", ["resident_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_resident_contacts_resident_id", table_name="resident_contacts")
    op.drop_table("resident_contacts")
    op.drop_table("resident_details")
