"""leads: monthly reports to the county (月报备) and the funnel's track decisions (一个漏斗)

``lead_report_settings`` (a county's due day, read by its townships), ``lead_reports`` (a township's month, the
county its other party; the list of leads sealed) and ``lead_track_decisions`` (the county's, the lead's unit its
other party) are tenant tables with forced row-level security on PostgreSQL. ``leads`` gains the links of 县领办
(``origin_id`` on the county's lead, ``county_lead_id`` on the township's).

Revision ID: 0027_lead_reports
Revises: 0026_lead_track
Create Date: 2026-12-04 21:11:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0027_lead_reports'
down_revision = '0026_lead_track'
branch_labels = None
depends_on = None

POLICIES = {
    "lead_report_settings": lambda: rls.record_table("lead_report_settings", inherited=True),
    "lead_reports": lambda: rls.record_table("lead_reports", counterparty="county_id"),
    "lead_track_decisions": lambda: rls.record_table("lead_track_decisions", counterparty="lead_unit_id"),
}


def _tenant_columns():
    return [sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
            sa.Column('unit_path', sa.String(length=255), nullable=False)]


def upgrade():
    with op.batch_alter_table('leads') as batch:
        batch.add_column(sa.Column('origin_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('county_lead_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_leads_origin_id_leads', 'leads', ['origin_id'], ['id'])
        batch.create_foreign_key('fk_leads_county_lead_id_leads', 'leads', ['county_lead_id'], ['id'])

    op.create_table('lead_report_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=True),
    *_tenant_columns(),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_report_settings')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_lead_report_settings_unit_id'))
    )
    op.create_table('lead_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('first_submitted_on', sa.Date(), nullable=False),
    sa.Column('submitted_late', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('lead_ids', sa.JSON(), nullable=False),
    sa.Column('snapshot_sealed', sa.Text(), nullable=False),
    *_tenant_columns(),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_reports')),
    sa.UniqueConstraint('unit_id', 'period', name=op.f('uq_lead_reports_unit_id'))
    )
    op.create_index('ix_lead_reports_county', 'lead_reports', ['county_id', 'period'])
    op.create_table('lead_track_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), sa.ForeignKey('leads.id'), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
    sa.Column('lead_number', sa.String(length=64), nullable=False),
    sa.Column('from_track', sa.String(length=16), nullable=False),
    sa.Column('track', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('staff_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_note', sa.Text(), nullable=True),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=True),
    *_tenant_columns(),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_track_decisions'))
    )
    op.create_index('ix_lead_track_decisions_lead', 'lead_track_decisions', ['lead_id'])
    for table in POLICIES:
        op.create_index(f'ix_{table}_unit_id', table, ['unit_id'])
        op.create_index(f'ix_{table}_unit_path', table, ['unit_path'])
    if op.get_bind().dialect.name == "postgresql":
        for table, policies in POLICIES.items():
            for statement in policies():
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(list(POLICIES)):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    for table in reversed(list(POLICIES)):
        op.drop_index(f'ix_{table}_unit_path', table_name=table)
        op.drop_index(f'ix_{table}_unit_id', table_name=table)
    op.drop_index('ix_lead_track_decisions_lead', table_name='lead_track_decisions')
    op.drop_table('lead_track_decisions')
    op.drop_index('ix_lead_reports_county', table_name='lead_reports')
    op.drop_table('lead_reports')
    op.drop_table('lead_report_settings')
    with op.batch_alter_table('leads') as batch:
        batch.drop_constraint('fk_leads_county_lead_id_leads', type_='foreignkey')
        batch.drop_constraint('fk_leads_origin_id_leads', type_='foreignkey')
        batch.drop_column('county_lead_id')
        batch.drop_column('origin_id')
