"""clearing plan reviewed by the county (issue 17 item 10)

Revision ID: 0019_clearing_plan_review
Revises: 0018_zone_grants_returns
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0019_clearing_plan_review'
down_revision = '0018_zone_grants_returns'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
