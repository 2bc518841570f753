"""holiday schedules and deadline recompute (issue 17 item 6)

Revision ID: 0017_holiday_schedules
Revises: 0016_job_heartbeats
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0017_holiday_schedules'
down_revision = '0016_job_heartbeats'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
