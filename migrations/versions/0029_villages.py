"""villages (村/社区) as records of their township and the ABC grading (定期研判、分类管理) with one plan per C village

``villages``, ``village_plans``, ``village_plan_items`` and ``village_reports`` are the township's own rows;
``grading_rounds`` are the county's, read by every unit below it (inherited); ``village_gradings`` are the
township's with the county as the other party (counterparty). All tenant tables, with forced row-level security
on PostgreSQL (tenants.rls).

Revision ID: 0029_villages
Revises: 0028_cases
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0029_villages'
down_revision = '0028_cases'
branch_labels = None
depends_on = None

# (table, rls options), in the order of creation.
TABLES = (("villages", {}), ("grading_rounds", {"inherited": True}),
          ("village_gradings", {"counterparty": "county_id"}), ("village_plans", {}), ("village_plan_items", {}),
          ("village_reports", {}))


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
    op.create_table('villages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('secretary_name', sa.String(length=50), nullable=False),
    sa.Column('secretary_position', sa.String(length=100), nullable=False),
    sa.Column('head_name', sa.String(length=50), nullable=False),
    sa.Column('head_position', sa.String(length=100), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('graded_on', sa.Date(), nullable=True),
    sa.Column('grading_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archive_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _account('villages', 'created_by_id'),
    sa.UniqueConstraint('code', name=op.f('uq_villages_code')),
    *_tenant('villages'))
    _indexes('villages', ('ix_villages_unit_grade', ['unit_id', 'grade']))

    op.create_table('grading_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('threshold_a', sa.Integer(), nullable=False),
    sa.Column('threshold_b', sa.Integer(), nullable=False),
    sa.Column('needs_confirmation', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _account('grading_rounds', 'created_by_id'),
    *_tenant('grading_rounds'))
    _indexes('grading_rounds')

    op.create_table('village_gradings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('village_name', sa.String(length=100), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('computed_grade', sa.String(length=1), nullable=True),
    sa.Column('override_grade', sa.String(length=1), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('override_by_id', sa.Integer(), nullable=True),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('previous_grade', sa.String(length=1), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('scored_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('in_force_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_village_gradings_village_id_villages')),
    sa.ForeignKeyConstraint(['round_id'], ['grading_rounds.id'],
                            name=op.f('fk_village_gradings_round_id_grading_rounds')),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_village_gradings_county_id_units')),
    _account('village_gradings', 'override_by_id'), _account('village_gradings', 'scored_by_id'),
    _account('village_gradings', 'submitted_by_id'), _account('village_gradings', 'decided_by_id'),
    sa.UniqueConstraint('village_id', 'round_id', name=op.f('uq_village_gradings_village_id')),
    *_tenant('village_gradings'))
    _indexes('village_gradings', ('ix_village_gradings_county', ['county_id', 'state']),
             (op.f('ix_village_gradings_village_id'), ['village_id']))

    op.create_table('village_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('grading_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('party_secretary', sa.String(length=50), nullable=False),
    sa.Column('discipline_secretary', sa.String(length=50), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_village_plans_village_id_villages')),
    sa.ForeignKeyConstraint(['grading_id'], ['village_gradings.id'],
                            name=op.f('fk_village_plans_grading_id_village_gradings')),
    _account('village_plans', 'created_by_id'),
    sa.UniqueConstraint('unit_id', 'year', 'seq', name=op.f('uq_village_plans_unit_id')),
    *_tenant('village_plans'))
    _indexes('village_plans', ('ix_village_plans_village', ['village_id']))

    op.create_table('village_plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=50), nullable=False),
    sa.Column('responsible_position', sa.String(length=100), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['village_plans.id'], name=op.f('fk_village_plan_items_plan_id_village_plans')),
    _account('village_plan_items', 'closed_by_id'),
    sa.UniqueConstraint('plan_id', 'seq', name=op.f('uq_village_plan_items_plan_id')),
    *_tenant('village_plan_items'))
    _indexes('village_plan_items')

    op.create_table('village_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('heard_on', sa.Date(), nullable=False),
    sa.Column('heard_by', sa.String(length=50), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_village_reports_village_id_villages')),
    sa.ForeignKeyConstraint(['plan_id'], ['village_plans.id'], name=op.f('fk_village_reports_plan_id_village_plans')),
    _account('village_reports', 'logged_by_id'),
    sa.UniqueConstraint('village_id', 'month', name=op.f('uq_village_reports_village_id')),
    *_tenant('village_reports', versioned=False))
    _indexes('village_reports')

    if op.get_bind().dialect.name == "postgresql":
        for table, options in TABLES:
            for statement in rls.record_table(table, **options):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, _options in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    for table, _options in reversed(TABLES):
        op.drop_table(table)
