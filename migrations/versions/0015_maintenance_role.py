"""maintenance as its own database role (issue 16 item 5)

Revision ID: 0015_maintenance_role
Revises: 0014_audit_checkpoints
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0015_maintenance_role'
down_revision = '0014_audit_checkpoints'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
