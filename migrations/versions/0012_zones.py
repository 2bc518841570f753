"""collaboration zones

Revision ID: 0012_zones
Revises: 0011_rollup_totals
Create Date: 2026-11-21 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012_zones'
down_revision = '0011_rollup_totals'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
