"""cases: 审查调查 with the county's review (镇案县审) and the execution of sanctions (处分执行)

Revision ID: 0028_cases
Revises: 0027_lead_reports
Create Date: 2026-12-04 21:12:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0028_cases'
down_revision = '0027_lead_reports'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
