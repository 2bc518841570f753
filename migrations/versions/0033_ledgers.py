"""ledgers (issue 22): placeholder until the area's tables land

Revision ID: 0033_ledgers
Revises: 0032_reception
Create Date: 2026-12-04 23:50:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0033_ledgers'
down_revision = '0032_reception'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
