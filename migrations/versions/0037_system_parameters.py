"""system parameters (参数设置, issue 23): the settings offices tune, kept in the database

A platform table (no unit, no RLS), like calendar_days; the app role's grants follow every upgrade (env.py).

Revision ID: 0037_system_parameters
Revises: 0036_session_unit
Create Date: 2026-12-05 00:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0037_system_parameters'
down_revision = '0036_session_unit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('system_parameters',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['accounts.id'], name=op.f('fk_system_parameters_updated_by_id_accounts')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_system_parameters'))
    )


def downgrade():
    op.drop_table('system_parameters')
