"""the handler (承办人) of every record, and the history of handlers

``handler_changes`` is tenant-owned with forced row-level security on PostgreSQL: the owning unit's rows only
(for a supervision item, the receiving unit's), appended and never updated (the update policy is dropped, so an
UPDATE finds no row), never deleted.

Revision ID: 0022_record_handlers
Revises: 0021_attachments
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0022_record_handlers'
down_revision = '0021_attachments'
branch_labels = None
depends_on = None


HANDLED_TABLES = ("petitions", "clearing_cases", "backlog_cases", "supervision_items")


def _handler_changes_policies() -> list[str]:
    return [*rls.record_table("handler_changes"), "DROP POLICY handler_changes_update ON handler_changes"]


def upgrade():
    for table in HANDLED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('handler_id', sa.Integer(), nullable=True))
            batch_op.create_index(f'ix_{table}_handler_id', ['handler_id'], unique=False)
            batch_op.create_foreign_key(f'fk_{table}_handler_id_accounts', 'accounts', ['handler_id'], ['id'])

    op.create_table('handler_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_account_id', sa.Integer(), nullable=True),
    sa.Column('to_account_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['accounts.id'], name=op.f('fk_handler_changes_changed_by_id_accounts')),
    sa.ForeignKeyConstraint(['from_account_id'], ['accounts.id'], name=op.f('fk_handler_changes_from_account_id_accounts')),
    sa.ForeignKeyConstraint(['to_account_id'], ['accounts.id'], name=op.f('fk_handler_changes_to_account_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_handler_changes_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handler_changes'))
    )
    with op.batch_alter_table('handler_changes', schema=None) as batch_op:
        batch_op.create_index('ix_handler_changes_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handler_changes_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handler_changes_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in _handler_changes_policies():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.drop_policies("handler_changes", ["select", "insert"]):
            op.execute(statement)
    with op.batch_alter_table('handler_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handler_changes_unit_path'))
        batch_op.drop_index(batch_op.f('ix_handler_changes_unit_id'))
        batch_op.drop_index('ix_handler_changes_object')
    op.drop_table('handler_changes')

    for table in HANDLED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_handler_id_accounts', type_='foreignkey')
            batch_op.drop_index(f'ix_{table}_handler_id')
            batch_op.drop_column('handler_id')
