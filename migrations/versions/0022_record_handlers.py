"""the handler (承办人) of every record, and the history of handlers

Revision ID: 0022_record_handlers
Revises: 0021_attachments
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0022_record_handlers'
down_revision = '0021_attachments'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
