"""reporting: stats keys for weeks, months and years; the reporting index; indicators; units marked changed; recount runs

Dated stats rows were kept per ISO day only; from now on bump_stat also keeps the ISO week, month
and year rows of each increment, so a roll-up of any period sums a few keys. The existing day rows
are folded into those keys here. The (metric, unit_path) index gives way to (metric, period,
unit_path), which on PostgreSQL also carries the value so roll-ups read the index alone.

Revision ID: 0007_reporting
Revises: 0006_petition_imports
Create Date: 2026-11-21 09:00:00

"""
from collections import Counter
from datetime import date

from alembic import op
import sqlalchemy as sa

from tenants import rls

# revision identifiers, used by Alembic.
revision = '0007_reporting'
down_revision = '0006_petition_imports'
branch_labels = None
depends_on = None


def _coarser_keys(day: date) -> tuple[str, str, str]:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}", f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}"


def _fold_day_rows() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config('qinglian.maintenance', 'on', true)"))
    rows = bind.execute(sa.text(
        "SELECT unit_id, unit_path, metric, period, value FROM unit_stats WHERE length(period) = 10")).all()
    folded: Counter = Counter()
    paths = {}
    for unit_id, unit_path, metric, period, value in rows:
        paths[unit_id] = unit_path
        for key in _coarser_keys(date.fromisoformat(period)):
            folded[(unit_id, metric, key)] += value
    stats = sa.table("unit_stats", sa.column("unit_id"), sa.column("unit_path"), sa.column("metric"),
                     sa.column("period"), sa.column("value"))
    if folded:
        op.bulk_insert(stats, [dict(unit_id=u, unit_path=paths[u], metric=m, period=k, value=v)
                               for (u, m, k), v in folded.items()])


def upgrade():
    with op.batch_alter_table('clearing_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cleared_on_time', sa.Boolean(), nullable=True))
    # Clearings before this revision: on time unless the record shows the deadline then at hand passed.
    op.execute("UPDATE clearing_cases SET cleared_on_time = (due_on IS NULL OR cleared_on <= due_on) "
               "WHERE cleared_on IS NOT NULL")

    with op.batch_alter_table('unit_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_stats_metric_unit_path')
        batch_op.create_index('ix_unit_stats_rollup', ['metric', 'period', 'unit_path'], unique=False,
                              postgresql_include=['value'])
    _fold_day_rows()

    op.create_table('changed_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_changed_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changed_units')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_changed_units_unit_id'))
    )
    with op.batch_alter_table('changed_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_changed_units_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_changed_units_unit_path'), ['unit_path'], unique=False)

    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('period_kind', sa.String(length=16), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_indicators_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators'))
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicators_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicators_unit_path'), ['unit_path'], unique=False)

    op.create_table('reconcile_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('drifted_units', sa.Integer(), nullable=False),
    sa.Column('drifts', sa.Integer(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_runs'))
    )

    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.changed_units_table() + rls.record_table("indicators", inherited=True):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in (rls.drop_policies("changed_units", ["select", "insert", "update", "delete"])
                          + rls.drop_policies("indicators", ["select", "insert", "update"])):
            op.execute(statement)
    op.drop_table('reconcile_runs')
    op.drop_table('indicators')
    op.drop_table('changed_units')
    # The week, month and year rows stay: the earlier code reads day rows only (length 10).
    with op.batch_alter_table('unit_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_stats_rollup')
        batch_op.create_index('ix_unit_stats_metric_unit_path', ['metric', 'unit_path'], unique=False)
    with op.batch_alter_table('clearing_cases', schema=None) as batch_op:
        batch_op.drop_column('cleared_on_time')
