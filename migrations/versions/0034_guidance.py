"""guidance (issue 22): placeholder until the area's tables land

Revision ID: 0034_guidance
Revises: 0033_ledgers
Create Date: 2026-12-04 23:50:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0034_guidance'
down_revision = '0033_ledgers'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
