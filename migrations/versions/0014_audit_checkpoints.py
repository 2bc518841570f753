"""audit chain checkpoints and keyed links (issue 16 item 4)

Revision ID: 0014_audit_checkpoints
Revises: 0013_accused_sealed
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0014_audit_checkpoints'
down_revision = '0013_accused_sealed'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
