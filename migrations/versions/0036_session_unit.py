"""online sessions (在线用户, issue 23): the unit a login session last acted at, for the security admin's page

Revision ID: 0036_session_unit
Revises: 0035_casebook
Create Date: 2026-12-05 00:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0036_session_unit'
down_revision = '0035_casebook'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_sessions') as batch:
        batch.add_column(sa.Column('last_unit_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_login_sessions_last_unit_id_units'), 'units', ['last_unit_id'], ['id'])
    op.create_index('ix_login_sessions_live', 'login_sessions', ['ended_at', 'last_seen_at'])


def downgrade():
    op.drop_index('ix_login_sessions_live', table_name='login_sessions')
    with op.batch_alter_table('login_sessions') as batch:
        batch.drop_constraint(op.f('fk_login_sessions_last_unit_id_units'), type_='foreignkey')
        batch.drop_column('last_unit_id')
