"""leads (问题线索): the registry of a unit's leads and their four dispositions

``leads`` and ``lead_persons`` are tenant-owned with forced row-level security on PostgreSQL (the owning unit's
rows, and what a share of them names). The persons concerned are sealed (SM4-GCM, bound to table, unit and id);
a lead has no informant column at all.

Revision ID: 0025_leads
Revises: 0024_document_renditions
Create Date: 2026-12-04 20:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0025_leads'
down_revision = '0024_document_renditions'
branch_labels = None
depends_on = None

TABLES = ("leads", "lead_persons")


def upgrade():
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_note', sa.String(length=200), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('way', sa.String(length=16), nullable=True),
    sa.Column('form', sa.String(length=16), nullable=True),
    sa.Column('disposed_on', sa.Date(), nullable=True),
    sa.Column('disposal', sa.JSON(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['handler_id'], ['accounts.id'], name=op.f('fk_leads_handler_id_accounts')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_leads_petition_id_petitions')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['accounts.id'], name=op.f('fk_leads_registered_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_leads_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('petition_id', 'unit_id', name=op.f('uq_leads_petition_id')),
    sa.UniqueConstraint('unit_id', 'year', 'seq', name=op.f('uq_leads_unit_id'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_queue', ['unit_id', 'state', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_unit_path'), ['unit_path'], unique=False)

    op.create_table('lead_persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('position_order', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('party_member', sa.Boolean(), nullable=True),
    sa.Column('name_key', sa.String(length=64), nullable=False),
    sa.Column('person_name', sa.Text(), nullable=False),
    sa.Column('person_position', sa.Text(), nullable=False),
    sa.Column('person_work_unit', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_persons_lead_id_leads')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_lead_persons_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_persons'))
    )
    with op.batch_alter_table('lead_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_persons_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_persons_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_persons_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_persons_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.record_table(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    with op.batch_alter_table('lead_persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_persons_unit_path'))
        batch_op.drop_index(batch_op.f('ix_lead_persons_unit_id'))
        batch_op.drop_index(batch_op.f('ix_lead_persons_name_key'))
        batch_op.drop_index(batch_op.f('ix_lead_persons_lead_id'))
    op.drop_table('lead_persons')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_unit_path'))
        batch_op.drop_index(batch_op.f('ix_leads_unit_id'))
        batch_op.drop_index(batch_op.f('ix_leads_handler_id'))
        batch_op.drop_index('ix_leads_queue')
    op.drop_table('leads')
