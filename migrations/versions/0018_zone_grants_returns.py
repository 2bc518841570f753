"""zone grants revoked on leaving, generated returns (issue 17)

Revision ID: 0018_zone_grants_returns
Revises: 0017_holiday_schedules
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0018_zone_grants_returns'
down_revision = '0017_holiday_schedules'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
