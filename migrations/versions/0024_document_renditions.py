"""PDF renditions of the official documents, converted by a job and cached

Revision ID: 0024_document_renditions
Revises: 0023_reply_templates
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0024_document_renditions'
down_revision = '0023_reply_templates'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
