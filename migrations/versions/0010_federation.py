"""federation: upstream peers, their keys and accepted pushes

Revision ID: 0010_federation
Revises: 0009_exports
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

# revision identifiers, used by Alembic.
revision = '0010_federation'
down_revision = '0009_exports'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
