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
    # A platform table (no unit, no RLS), like calendar_days; the app role's grants follow every upgrade (env.py).
    op.create_table('holiday_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['accounts.id'], name=op.f('fk_holiday_schedules_entered_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_schedules')),
    sa.UniqueConstraint('year', name=op.f('uq_holiday_schedules_year'))
    )


def downgrade():
    op.drop_table('holiday_schedules')
