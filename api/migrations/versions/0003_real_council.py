"""Real council data: census date, locality area codes, setting LA code and UKPRN, learner sex, LSOA, last review and
arrangement (SEN2 SENsetting), the plan's type of provision; setting gender, selective, independent, boarding and
number on roll; the postcode lookup table.

Revision ID: 0003_real_council
Revises: 0002_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_real_council"
down_revision = "0002_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("census_date", sa.Date(), nullable=True))
    with op.batch_alter_table("localities") as batch:
        batch.add_column(sa.Column("area_codes", sa.JSON(), nullable=True))
    with op.batch_alter_table("settings") as batch:
        batch.add_column(sa.Column("la_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("ukprn", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("gender", sa.String(length=8), nullable=False, server_default="mixed"))
        batch.add_column(sa.Column("selective", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("independent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("boarding", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("number_on_roll", sa.Integer(), nullable=True))
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("last_review", sa.Date(), nullable=True))
        batch.add_column(sa.Column("sex", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("lsoa", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("arrangement", sa.String(length=4), nullable=True))
        batch.add_column(sa.Column("provision_type", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("acceptable_types", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("needs_residential", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("easting", sa.Integer(), nullable=False),
        sa.Column("northing", sa.Integer(), nullable=False),
        sa.Column("lsoa", sa.String(length=16), nullable=True),
        sa.Column("ward", sa.String(length=16), nullable=True),
        sa.Column("district", sa.String(length=16), nullable=True),
        sa.Column("terminated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name="pk_postcodes"),
    )


def downgrade() -> None:
    op.drop_table("postcodes")
    with op.batch_alter_table("learners") as batch:
        for column in ("needs_residential", "acceptable_types", "provision_type", "arrangement"):
            batch.drop_column(column)
        batch.drop_column("lsoa")
        batch.drop_column("sex")
        batch.drop_column("last_review")
    with op.batch_alter_table("settings") as batch:
        for column in ("number_on_roll", "boarding", "independent", "selective", "gender", "ukprn"):
            batch.drop_column(column)
        batch.drop_column("la_code")
    with op.batch_alter_table("localities") as batch:
        batch.drop_column("area_codes")
    with op.batch_alter_table("instances") as batch:
        batch.drop_column("census_date")
