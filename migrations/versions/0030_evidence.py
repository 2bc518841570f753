"""remote evidence (远程取证): remote interviews whose procedure is enforced step by step

Revision ID: 0030_evidence
Revises: 0029_villages
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0030_evidence'
down_revision = '0029_villages'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
