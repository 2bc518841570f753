"""leads: monthly reports to the county (月报备) and the funnel's track decisions (一个漏斗)

Revision ID: 0027_lead_reports
Revises: 0026_lead_track
Create Date: 2026-12-04 21:11:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0027_lead_reports'
down_revision = '0026_lead_track'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
