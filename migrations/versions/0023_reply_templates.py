"""a unit's reply templates for the feedback to informants (反馈)

Revision ID: 0023_reply_templates
Revises: 0022_record_handlers
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0023_reply_templates'
down_revision = '0022_record_handlers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=50), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_reply_templates_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates'))
    )
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_templates_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_templates_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.record_table("reply_templates"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.drop_policies("reply_templates", ["select", "insert", "update"]):
            op.execute(statement)
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_templates_unit_path'))
        batch_op.drop_index(batch_op.f('ix_reply_templates_unit_id'))
    op.drop_table('reply_templates')
