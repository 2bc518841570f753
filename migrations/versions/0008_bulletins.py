"""bulletins (通报): frozen weekly and monthly snapshots

Revision ID: 0008_bulletins
Revises: 0007_reporting
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

# revision identifiers, used by Alembic.
revision = '0008_bulletins'
down_revision = '0007_reporting'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
