"""exports: xlsx exports run as jobs, with progress and a sealed file

On PostgreSQL the table gets forced row-level security like every record table: an export is its
unit's own and nobody else's (the views narrow it further to the account that asked for it).

Revision ID: 0009_exports
Revises: 0008_bulletins
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

RLS_TABLES = {"exports": lambda: rls.record_table("exports")}

# revision identifiers, used by Alembic.
revision = '0009_exports'
down_revision = '0008_bulletins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'], name=op.f('fk_exports_requested_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_exports_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exports'))
    )
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.create_index('ix_exports_unit_requester', ['unit_id', 'requested_by_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for make_policies in RLS_TABLES.values():
            for statement in make_policies():
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_unit_path'))
        batch_op.drop_index(batch_op.f('ix_exports_unit_id'))
        batch_op.drop_index(batch_op.f('ix_exports_expires_at'))
        batch_op.drop_index('ix_exports_unit_requester')

    op.drop_table('exports')
