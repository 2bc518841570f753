"""jobs that resume (issue 16 items 6 and 8)

Revision ID: 0016_job_heartbeats
Revises: 0015_maintenance_role
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0016_job_heartbeats'
down_revision = '0015_maintenance_role'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
