"""a unit's reply templates for the feedback to informants (反馈)

Revision ID: 0023_reply_templates
Revises: 0022_record_handlers
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0023_reply_templates'
down_revision = '0022_record_handlers'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
