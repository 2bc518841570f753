"""bulletins (通报): frozen weekly and monthly snapshots

One table, ``bulletins``: a unit's bulletin of one week or month, unique per (unit, kind, period),
its snapshot stored as JSON. On PostgreSQL it gets forced row-level security like every record
table, with ``parent_unit_id`` as the counterparty: a bulletin is published to the unit it reports
on and to that unit's parent, and to nobody else.

Revision ID: 0008_bulletins
Revises: 0007_reporting
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

RLS_TABLES = {"bulletins": lambda: rls.record_table("bulletins", counterparty="parent_unit_id")}

# revision identifiers, used by Alembic.
revision = '0008_bulletins'
down_revision = '0007_reporting'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_unit_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('cut_off_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('built_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['built_by_id'], ['accounts.id'], name=op.f('fk_bulletins_built_by_id_accounts')),
    sa.ForeignKeyConstraint(['parent_unit_id'], ['units.id'], name=op.f('fk_bulletins_parent_unit_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_bulletins_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletins')),
    sa.UniqueConstraint('unit_id', 'kind', 'period', name=op.f('uq_bulletins_unit_id'))
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index('ix_bulletins_parent_unit_id', ['parent_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for make_policies in RLS_TABLES.values():
            for statement in make_policies():
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletins_unit_path'))
        batch_op.drop_index(batch_op.f('ix_bulletins_unit_id'))
        batch_op.drop_index('ix_bulletins_parent_unit_id')

    op.drop_table('bulletins')
