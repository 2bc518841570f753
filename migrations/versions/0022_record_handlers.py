"""the handler (承办人) of every record, and the history of handlers

Revision ID: 0022_record_handlers
Revises: 0021_attachments
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0022_record_handlers'
down_revision = '0021_attachments'
branch_labels = None
depends_on = None


HANDLED_TABLES = ("petitions", "clearing_cases", "backlog_cases", "supervision_items")


def upgrade():
    for table in HANDLED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('handler_id', sa.Integer(), nullable=True))
            batch_op.create_index(f'ix_{table}_handler_id', ['handler_id'], unique=False)
            batch_op.create_foreign_key(f'fk_{table}_handler_id_accounts', 'accounts', ['handler_id'], ['id'])


def downgrade():
    for table in HANDLED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_handler_id_accounts', type_='foreignkey')
            batch_op.drop_index(f'ix_{table}_handler_id')
            batch_op.drop_column('handler_id')
