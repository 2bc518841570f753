"""attachments (附件): files of every record, sealed outside the rows

Revision ID: 0021_attachments
Revises: 0020_petition_work_areas
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0021_attachments'
down_revision = '0020_petition_work_areas'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
