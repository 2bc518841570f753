"""data dictionaries (数据字典, issue 23): the entries of the drop-down lists the system admin changed or added

A platform table (no unit, no RLS), like system_parameters; the app role's grants follow every upgrade (env.py).
A shipped entry the admin never changed has no row: it reads its default from the code that declares it.

Revision ID: 0039_dictionaries
Revises: 0038_job_runs
Create Date: 2026-12-05 00:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0039_dictionaries'
down_revision = '0038_job_runs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dictionary_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dictionary', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label_zh', sa.String(length=50), nullable=True),
    sa.Column('label_en', sa.String(length=50), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['accounts.id'], name=op.f('fk_dictionary_entries_updated_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dictionary_entries')),
    sa.UniqueConstraint('dictionary', 'code', name='uq_dictionary_entries_dictionary_code')
    )
    with op.batch_alter_table('dictionary_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dictionary_entries_dictionary'), ['dictionary'], unique=False)


def downgrade():
    with op.batch_alter_table('dictionary_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dictionary_entries_dictionary'))
    op.drop_table('dictionary_entries')
