"""reception (issue 22): the reception room's rota by working day, swaps and receptions (轮流坐班接访 · 三访合一)

All four are the receiving unit's tenant tables with forced row-level security on PostgreSQL (tenants.rls); the
person received is sealed (SM4-GCM, bound to table, unit, id and field), like a petition's informant.

Revision ID: 0032_reception
Revises: 0031_meetings
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0032_reception'
down_revision = '0031_meetings'
branch_labels = None
depends_on = None

TABLES = ("reception_rotas", "reception_duties", "reception_swaps", "receptions")


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
    op.create_table('reception_rotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    _account('reception_rotas', 'set_by_id'),
    sa.UniqueConstraint('unit_id', 'month', name=op.f('uq_reception_rotas_unit_id')),
    *_tenant('reception_rotas'))
    _indexes('reception_rotas')

    op.create_table('reception_duties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['rota_id'], ['reception_rotas.id'], name=op.f('fk_reception_duties_rota_id_reception_rotas')),
    _account('reception_duties', 'account_id'),
    sa.UniqueConstraint('unit_id', 'day', name=op.f('uq_reception_duties_unit_id')),
    *_tenant('reception_duties', versioned=False))
    _indexes('reception_duties', ('ix_reception_duties_rota', ['rota_id']))

    op.create_table('reception_swaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('first_account_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('second_day', sa.Date(), nullable=True),
    sa.Column('second_account_id', sa.Integer(), nullable=False),
    sa.Column('second_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    _account('reception_swaps', 'first_account_id'), _account('reception_swaps', 'second_account_id'),
    _account('reception_swaps', 'recorded_by_id'),
    *_tenant('reception_swaps', versioned=False))
    _indexes('reception_swaps')

    op.create_table('receptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('staff_account_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('person_name', sa.Text(), nullable=False),
    sa.Column('person_id_number', sa.Text(), nullable=False),
    sa.Column('person_phone', sa.Text(), nullable=False),
    sa.Column('person_address', sa.Text(), nullable=False),
    sa.Column('matter', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=True),
    sa.Column('petition_number', sa.String(length=64), nullable=True),
    sa.Column('converted_on', sa.Date(), nullable=True),
    sa.Column('converted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_receptions_petition_id_petitions')),
    _account('receptions', 'staff_account_id'), _account('receptions', 'converted_by_id'),
    _account('receptions', 'created_by_id'),
    sa.UniqueConstraint('unit_id', 'year', 'seq', name=op.f('uq_receptions_unit_id')),
    *_tenant('receptions'))
    _indexes('receptions', ('ix_receptions_list', ['unit_id', 'received_on']),
             ('ix_receptions_petition', ['petition_id']))

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.record_table(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    for table in reversed(TABLES):
        op.drop_table(table)
