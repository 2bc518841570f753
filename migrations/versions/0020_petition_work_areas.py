"""petitions: the accused's work areas (基层一线, 改革发展, 乡村振兴, 征地拆迁), handed to the clearing pool

Revision ID: 0020_petition_work_areas
Revises: 0019_clearing_plan_review
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0020_petition_work_areas'
down_revision = '0019_clearing_plan_review'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accused_work_areas', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_column('accused_work_areas')
