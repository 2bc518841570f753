"""exports: xlsx exports run as jobs, with progress and a sealed file

Revision ID: 0009_exports
Revises: 0008_bulletins
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

# revision identifiers, used by Alembic.
revision = '0009_exports'
down_revision = '0008_bulletins'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
