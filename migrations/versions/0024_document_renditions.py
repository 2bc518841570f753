"""PDF renditions of the official documents, converted by a job and cached

``document_renditions``: a document's PDF (core.renditions), keyed by the unit, the document (kind and record)
and the SM3 digest of its Word bytes; the Word file to convert and the PDF made of it, both sealed. A unit's own
rows only, under forced row-level security on PostgreSQL like every record table; no DELETE policy.

Revision ID: 0024_document_renditions
Revises: 0023_reply_templates
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

RLS_TABLES = {"document_renditions": lambda: rls.record_table("document_renditions")}

revision = '0024_document_renditions'
down_revision = '0023_reply_templates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_renditions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.LargeBinary(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resumes', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'],
                            name=op.f('fk_document_renditions_requested_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_document_renditions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_renditions')),
    sa.UniqueConstraint('unit_id', 'kind', 'object_id', 'digest', name='uq_document_renditions_key')
    )
    with op.batch_alter_table('document_renditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_renditions_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_renditions_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for make_policies in RLS_TABLES.values():
            for statement in make_policies():
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    with op.batch_alter_table('document_renditions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_renditions_unit_path'))
        batch_op.drop_index(batch_op.f('ix_document_renditions_unit_id'))

    op.drop_table('document_renditions')
