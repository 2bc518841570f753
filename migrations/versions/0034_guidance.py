"""联系指导 (issue 22): the county's 纪检监察室, their members and the townships each guides (with history), their
regular meetings (定期例会), guidance visits (督查指导) and the problems found

All six are the county's tenant tables with forced row-level security on PostgreSQL (tenants.rls).

Revision ID: 0034_guidance
Revises: 0033_ledgers
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0034_guidance'
down_revision = '0033_ledgers'
branch_labels = None
depends_on = None

TABLES = ("guidance_offices", "guidance_office_members", "guidance_assignments", "guidance_meetings",
          "guidance_visits", "guidance_problems")


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


def _fk(table: str, column: str, target: str):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def _indexes(table: str, *columns, extra=()) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in ('unit_id', 'unit_path', *columns):
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
        for name, cols, kw in extra:
            batch_op.create_index(name, cols, **kw)


def _current(column: str) -> dict:
    return dict(unique=True, sqlite_where=sa.text(f'{column} IS NULL'), postgresql_where=sa.text(f'{column} IS NULL'))


def upgrade():
    op.create_table('guidance_offices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('duties', sa.Text(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    *_tenant('guidance_offices'))
    _indexes('guidance_offices')

    op.create_table('guidance_office_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    _fk('guidance_office_members', 'office_id', 'guidance_offices'),
    _fk('guidance_office_members', 'account_id', 'accounts'),
    *_tenant('guidance_office_members', versioned=False))
    _indexes('guidance_office_members', 'office_id', 'account_id',
             extra=[('uq_guidance_office_members_current', ['office_id', 'account_id'], _current('left_on'))])

    op.create_table('guidance_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    _fk('guidance_assignments', 'office_id', 'guidance_offices'),
    _fk('guidance_assignments', 'township_id', 'units'),
    _fk('guidance_assignments', 'assigned_by_id', 'accounts'),
    *_tenant('guidance_assignments', versioned=False))
    _indexes('guidance_assignments', 'office_id', 'township_id',
             extra=[('uq_guidance_assignments_current', ['township_id'], _current('ends_on'))])

    op.create_table('guidance_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('townships', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _fk('guidance_meetings', 'office_id', 'guidance_offices'),
    _fk('guidance_meetings', 'created_by_id', 'accounts'),
    *_tenant('guidance_meetings'))
    _indexes('guidance_meetings', 'office_id')

    op.create_table('guidance_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('township_name', sa.String(length=100), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('staff', sa.JSON(), nullable=False),
    sa.Column('checked', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _fk('guidance_visits', 'office_id', 'guidance_offices'),
    _fk('guidance_visits', 'township_id', 'units'),
    _fk('guidance_visits', 'created_by_id', 'accounts'),
    *_tenant('guidance_visits'))
    _indexes('guidance_visits', 'office_id', 'township_id')

    op.create_table('guidance_problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requirement', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=True),
    _fk('guidance_problems', 'visit_id', 'guidance_visits'),
    _fk('guidance_problems', 'item_id', 'supervision_items'),
    *_tenant('guidance_problems', versioned=False))
    _indexes('guidance_problems', extra=[('uq_guidance_problems_seq', ['visit_id', 'seq'], dict(unique=True))])

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
