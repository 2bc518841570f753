"""jobs that resume (issue 16 items 6 and 8)

An import's and an export's job beats on its record (``heartbeat_at``, NULL while the job waits in the
queue), counts the jobs that took it (``attempts``) and the times the sweep (core.jobs.sweep_stalled)
queued its step again after its worker died (``resumes``): once, then it fails. Plain columns of tables
whose RLS policies already cover them.

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

TABLES = ("import_jobs", "exports")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
            batch.add_column(sa.Column("resumes", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("resumes")
            batch.drop_column("attempts")
            batch.drop_column("heartbeat_at")
