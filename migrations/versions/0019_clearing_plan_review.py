"""clearing: the plan of a case reviewed above goes back up for approval (state plan_escalated)

The open-queue index names the open states in its predicate (PostgreSQL): it is rebuilt with the new one, so an
escalated plan stays on the queue's index. The states are written out: a migration must not change when the
code's workflow does.

Revision ID: 0019_clearing_plan_review
Revises: 0017_holiday_schedules
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0019_clearing_plan_review'
down_revision = '0017_holiday_schedules'
branch_labels = None
depends_on = None

BEFORE = ("state IN ('applied', 'assessed', 'escalated', 'reviewed', 'plan_submitted', 'plan_approved', "
          "'cleared', 'fed_back')")
AFTER = ("state IN ('applied', 'assessed', 'escalated', 'reviewed', 'plan_submitted', 'plan_escalated', "
         "'plan_approved', 'cleared', 'fed_back')")


def _rebuild(predicate: str) -> None:
    op.drop_index('ix_clearing_cases_open_due', table_name='clearing_cases')
    op.create_index('ix_clearing_cases_open_due', 'clearing_cases', ['unit_id', 'due_on', 'id'], unique=False,
                    postgresql_include=['state'], postgresql_where=sa.text(predicate))


def upgrade():
    _rebuild(AFTER)


def downgrade():
    op.execute("UPDATE clearing_cases SET state = 'plan_submitted' WHERE state = 'plan_escalated'")
    _rebuild(BEFORE)
