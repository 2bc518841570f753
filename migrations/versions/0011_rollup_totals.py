"""roll-up totals (subtree sums + journal) for fast roll-ups

Revision ID: 0011_rollup_totals
Revises: 0010_federation
Create Date: 2026-11-21 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011_rollup_totals'
down_revision = '0010_federation'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
