"""scheduled jobs (定时任务, issue 23): the periodic jobs' runs and their pause

Platform tables (no unit, no RLS), like system_parameters; the app role's grants follow every upgrade (env.py).

Revision ID: 0038_job_runs
Revises: 0037_system_parameters
Create Date: 2026-12-05 00:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0038_job_runs'
down_revision = '0037_system_parameters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=200), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('times', sa.Integer(), server_default='1', nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('retry_of_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'], name=op.f('fk_job_runs_requested_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    op.create_index('ix_job_runs_job_id', 'job_runs', ['job', 'id'], unique=False)
    op.create_index(op.f('ix_job_runs_queued_at'), 'job_runs', ['queued_at'], unique=False)
    op.create_table('job_states',
    sa.Column('job', sa.String(length=200), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_by_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('run_since', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['paused_by_id'], ['accounts.id'], name=op.f('fk_job_states_paused_by_id_accounts')),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_states'))
    )


def downgrade():
    op.drop_table('job_states')
    op.drop_index(op.f('ix_job_runs_queued_at'), table_name='job_runs')
    op.drop_index('ix_job_runs_job_id', table_name='job_runs')
    op.drop_table('job_runs')
