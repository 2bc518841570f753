"""ledgers (issue 22): the catalogue of standard ledgers (台账目录), kept ledgers' rows, the 18-ledger workbooks and
the county's spot checks (随时抽查) with their findings

All five are tenant tables with forced row-level security on PostgreSQL (tenants.rls): the catalogue is inherited by
every unit below its owner; spot checks and findings have the township as the other party.

Revision ID: 0033_ledgers
Revises: 0032_reception
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0033_ledgers'
down_revision = '0032_reception'
branch_labels = None
depends_on = None

TABLES = ("ledger_definitions", "ledger_rows", "ledger_workbooks", "ledger_spot_checks", "ledger_spot_findings")
POLICIES = {"ledger_definitions": dict(inherited=True), "ledger_spot_checks": dict(counterparty="township_id"),
            "ledger_spot_findings": dict(counterparty="township_id")}


def _tenant(table: str, *, versioned: bool = True) -> list:
    columns = [sa.Column('unit_id', sa.Integer(), nullable=False),
               sa.Column('unit_path', sa.String(length=255), nullable=False),
               sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
               sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
               sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f(f'fk_{table}_unit_id_units')),
               sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}'))]
    if versioned:
        columns.append(sa.Column('version', sa.Integer(), nullable=False))
    return columns


def _account(table: str, column: str):
    return sa.ForeignKeyConstraint([column], ['accounts.id'], name=op.f(f'fk_{table}_{column}_accounts'))


def _indexes(table: str, *extra) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_unit_path'), ['unit_path'], unique=False)
        for name, columns in extra:
            batch_op.create_index(name, columns, unique=False)


def upgrade():
    op.create_table('ledger_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.UniqueConstraint('unit_id', 'code', name=op.f('uq_ledger_definitions_unit_id')),
    *_tenant('ledger_definitions'))
    _indexes('ledger_definitions')

    op.create_table('ledger_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _account('ledger_rows', 'created_by_id'),
    *_tenant('ledger_rows'))
    _indexes('ledger_rows', ('ix_ledger_rows_ledger', ['unit_id', 'code', 'entry_date']))

    op.create_table('ledger_workbooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('codes', sa.JSON(), nullable=False),
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
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resumes', sa.Integer(), server_default='0', nullable=False),
    _account('ledger_workbooks', 'requested_by_id'),
    *_tenant('ledger_workbooks', versioned=False))
    _indexes('ledger_workbooks')

    op.create_table('ledger_spot_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('township_name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('ledger_title', sa.String(length=100), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('random', sa.Boolean(), nullable=False),
    sa.Column('row_ids', sa.JSON(), nullable=False),
    sa.Column('share_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('concluded_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['township_id'], ['units.id'], name=op.f('fk_ledger_spot_checks_township_id_units')),
    _account('ledger_spot_checks', 'checker_id'), _account('ledger_spot_checks', 'drawn_by_id'),
    *_tenant('ledger_spot_checks'))
    _indexes('ledger_spot_checks', ('ix_ledger_spot_checks_township', ['township_id', 'code']))

    op.create_table('ledger_spot_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('supervision_item_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['ledger_spot_checks.id'],
                            name=op.f('fk_ledger_spot_findings_check_id_ledger_spot_checks')),
    sa.ForeignKeyConstraint(['township_id'], ['units.id'], name=op.f('fk_ledger_spot_findings_township_id_units')),
    sa.ForeignKeyConstraint(['supervision_item_id'], ['supervision_items.id'],
                            name=op.f('fk_ledger_spot_findings_supervision_item_id_supervision_items')),
    _account('ledger_spot_findings', 'recorded_by_id'),
    sa.UniqueConstraint('check_id', 'row_id', name=op.f('uq_ledger_spot_findings_check_id')),
    *_tenant('ledger_spot_findings', versioned=False))
    _indexes('ledger_spot_findings', (op.f('ix_ledger_spot_findings_check_id'), ['check_id']))

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.record_table(table, **POLICIES.get(table, {})):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    for table in reversed(TABLES):
        op.drop_table(table)
