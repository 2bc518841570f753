"""on-site meetings of inspection tours (现场办公会): tours, meetings, issues and the county's issue categories

All four are the county's tenant tables with forced row-level security on PostgreSQL (tenants.rls); the
villager's name on an issue is sealed (SM4-GCM, bound to table, unit and id).

Revision ID: 0031_meetings
Revises: 0030_evidence
Create Date: 2026-12-04 22:30:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0031_meetings'
down_revision = '0030_evidence'
branch_labels = None
depends_on = None

TABLES = ("meeting_categories", "inspection_tours", "onsite_meetings", "meeting_issues")


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
    op.create_table('meeting_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.UniqueConstraint('unit_id', 'code', name=op.f('uq_meeting_categories_unit_id')),
    *_tenant('meeting_categories', versioned=False))
    _indexes('meeting_categories')

    op.create_table('inspection_tours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('leader_name', sa.String(length=50), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('account_ids', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('villages', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _account('inspection_tours', 'created_by_id'),
    *_tenant('inspection_tours'))
    _indexes('inspection_tours')

    op.create_table('onsite_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('village_name', sa.String(length=100), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('township_name', sa.String(length=100), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('leaders', sa.JSON(), nullable=False),
    sa.Column('departments', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['tour_id'], ['inspection_tours.id'], name=op.f('fk_onsite_meetings_tour_id_inspection_tours')),
    sa.ForeignKeyConstraint(['township_id'], ['units.id'], name=op.f('fk_onsite_meetings_township_id_units')),
    _account('onsite_meetings', 'created_by_id'),
    *_tenant('onsite_meetings'))
    _indexes('onsite_meetings', ('ix_onsite_meetings_tour', ['tour_id']))

    op.create_table('meeting_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=False),
    sa.Column('category_name', sa.String(length=50), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('villager_name', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('body_kind', sa.String(length=16), nullable=True),
    sa.Column('body_name', sa.String(length=100), nullable=True),
    sa.Column('body_unit_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['onsite_meetings.id'], name=op.f('fk_meeting_issues_meeting_id_onsite_meetings')),
    sa.ForeignKeyConstraint(['tour_id'], ['inspection_tours.id'], name=op.f('fk_meeting_issues_tour_id_inspection_tours')),
    sa.ForeignKeyConstraint(['body_unit_id'], ['units.id'], name=op.f('fk_meeting_issues_body_unit_id_units')),
    _account('meeting_issues', 'done_by_id'), _account('meeting_issues', 'created_by_id'),
    sa.UniqueConstraint('meeting_id', 'seq', name=op.f('uq_meeting_issues_meeting_id')),
    *_tenant('meeting_issues'))
    _indexes('meeting_issues', ('ix_meeting_issues_queue', ['unit_id', 'state']))

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
