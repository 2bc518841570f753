"""informant and accused data sealed (issue 16 items 2-3)

Revision ID: 0013_accused_sealed
Revises: 0012_zones
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0013_accused_sealed'
down_revision = '0012_zones'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
