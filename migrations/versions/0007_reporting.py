"""reporting: stats keys for weeks, months and years; the reporting index; indicators; units marked changed

Revision ID: 0007_reporting
Revises: 0006_petition_imports
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

# revision identifiers, used by Alembic.
revision = '0007_reporting'
down_revision = '0006_petition_imports'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
