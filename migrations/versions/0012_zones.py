"""zones: collaboration zones (协作区) of a county, their rota, meetings, grants and inspections

Every table is tenant-owned and gets forced row-level security on PostgreSQL, with the audiences its
model declares (core/zones/models.py): a member's rows readable by fellow members of its zone through
``zone_members``, the county as counterparty. ``share_accesses`` logs each look at (or step on) a record
through a share, on the record owner's side, for the record's timeline.

Revision ID: 0012_zones
Revises: 0011_rollup_totals
Create Date: 2026-11-21 12:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

_MEMBERS = ("zone_members", "zone_id", "zone_id")
# A member reads its fellow members' rows of zone_members; a policy naming its own table recurses without end
# in PostgreSQL ("infinite recursion detected in policy"), so the acting unit's zones come from a function that
# reads them with the maintenance flag on for that one query and puts the flag back (a function's own SET clause
# would need a superuser for the custom setting). The table's policy admits its rows before reaching the function.
MEMBER_ZONES_FUNCTION = """CREATE FUNCTION qinglian_member_zone_ids(member integer) RETURNS SETOF integer
LANGUAGE plpgsql AS $$
DECLARE previous text := current_setting('qinglian.maintenance', true);
BEGIN
    PERFORM set_config('qinglian.maintenance', 'on', true);
    RETURN QUERY SELECT zone_id FROM zone_members WHERE unit_id = member;
    PERFORM set_config('qinglian.maintenance', coalesce(previous, ''), true);
END $$"""


def _zone_members_policies() -> list[str]:
    own = f"unit_id = {rls.CTX_UNIT} OR {rls.MAINTENANCE} OR county_id = {rls.CTX_UNIT}"
    return [MEMBER_ZONES_FUNCTION, *rls.record_table("zone_members", counterparty="county_id"),
            "DROP POLICY zone_members_select ON zone_members",
            f"CREATE POLICY zone_members_select ON zone_members FOR SELECT USING ({own}"
            f" OR zone_id IN (SELECT qinglian_member_zone_ids({rls.CTX_UNIT})))"]


RLS_TABLES = {
    "zones": lambda: rls.record_table("zones", received_via=("zone_members", "zone_id", "id")),
    "zone_members": _zone_members_policies,
    "convener_terms": lambda: rls.record_table("convener_terms", counterparty="county_id", received_via=_MEMBERS),
    "joint_meetings": lambda: rls.record_table("joint_meetings", counterparty="county_id", received_via=_MEMBERS),
    "meeting_decisions": lambda: rls.record_table("meeting_decisions", counterparty="county_id",
                                                  received_via=_MEMBERS),
    "cross_grants": lambda: rls.record_table("cross_grants", counterparty="grantee_unit_id"),
    "inspection_rounds": lambda: rls.record_table("inspection_rounds", received_via=_MEMBERS),
    "inspection_pairs": lambda: rls.record_table("inspection_pairs", counterparty="county_id"),
    "inspection_findings": lambda: rls.record_table("inspection_findings", counterparty="county_id"),
    "share_accesses": lambda: rls.record_table("share_accesses"),
}

# revision identifiers, used by Alembic.
revision = '0012_zones'
down_revision = '0011_rollup_totals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lead_account_id', sa.Integer(), nullable=True),
    sa.Column('guiding_office', sa.String(length=100), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_account_id'], ['accounts.id'], name=op.f('fk_zones_lead_account_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_zones_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones'))
    )
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zones_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zones_unit_path'), ['unit_path'], unique=False)

    op.create_table('convener_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('assigned_by', sa.String(length=16), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('report_requested_on', sa.Date(), nullable=True),
    sa.Column('report_body', sa.Text(), nullable=True),
    sa.Column('report_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_convener_terms_account_id_accounts')),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_convener_terms_county_id_units')),
    sa.ForeignKeyConstraint(['report_by_id'], ['accounts.id'], name=op.f('fk_convener_terms_report_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_convener_terms_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_convener_terms_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_convener_terms'))
    )
    with op.batch_alter_table('convener_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_convener_terms_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_convener_terms_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index('ix_convener_terms_zone_current', ['zone_id', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_convener_terms_zone_id'), ['zone_id'], unique=False)

    op.create_table('inspection_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_inspection_rounds_created_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_inspection_rounds_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_inspection_rounds_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_rounds'))
    )
    with op.batch_alter_table('inspection_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_rounds_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_rounds_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_rounds_zone_id'), ['zone_id'], unique=False)

    op.create_table('share_accesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('share_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('grantee_unit_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_share_accesses_account_id_accounts')),
    sa.ForeignKeyConstraint(['grantee_unit_id'], ['units.id'], name=op.f('fk_share_accesses_grantee_unit_id_units')),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_share_accesses_share_id_shares')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_share_accesses_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_accesses'))
    )
    with op.batch_alter_table('share_accesses', schema=None) as batch_op:
        batch_op.create_index('ix_share_accesses_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_accesses_share_id'), ['share_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_accesses_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_accesses_unit_path'), ['unit_path'], unique=False)

    op.create_table('zone_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_zone_members_county_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_zone_members_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_members_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone_members'))
    )
    with op.batch_alter_table('zone_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_members_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zone_members_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zone_members_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_zone_members_zone_id'), ['zone_id'], unique=False)
        batch_op.create_index('uq_zone_members_current', ['unit_id', 'kind'], unique=True, sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))

    op.create_table('cross_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('grantee_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('object_label', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('transitions', sa.String(length=255), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('grantee_account_ids', sa.JSON(), nullable=False),
    sa.Column('share_ids', sa.JSON(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['accounts.id'], name=op.f('fk_cross_grants_granted_by_id_accounts')),
    sa.ForeignKeyConstraint(['grantee_unit_id'], ['units.id'], name=op.f('fk_cross_grants_grantee_unit_id_units')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_cross_grants_owner_unit_id_units')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['accounts.id'], name=op.f('fk_cross_grants_revoked_by_id_accounts')),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_rounds.id'], name=op.f('fk_cross_grants_round_id_inspection_rounds')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cross_grants_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_cross_grants_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cross_grants'))
    )
    with op.batch_alter_table('cross_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cross_grants_grantee_unit_id'), ['grantee_unit_id'], unique=False)
        batch_op.create_index('ix_cross_grants_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cross_grants_owner_unit_id'), ['owner_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cross_grants_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cross_grants_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_cross_grants_zone_id'), ['zone_id'], unique=False)

    op.create_table('inspection_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('inspected_unit_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_inspection_pairs_county_id_units')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['accounts.id'], name=op.f('fk_inspection_pairs_filed_by_id_accounts')),
    sa.ForeignKeyConstraint(['inspected_unit_id'], ['units.id'], name=op.f('fk_inspection_pairs_inspected_unit_id_units')),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_rounds.id'], name=op.f('fk_inspection_pairs_round_id_inspection_rounds')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_inspection_pairs_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_pairs'))
    )
    with op.batch_alter_table('inspection_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_pairs_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_pairs_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_pairs_unit_path'), ['unit_path'], unique=False)

    op.create_table('joint_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('called_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['called_by_id'], ['accounts.id'], name=op.f('fk_joint_meetings_called_by_id_accounts')),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_joint_meetings_county_id_units')),
    sa.ForeignKeyConstraint(['term_id'], ['convener_terms.id'], name=op.f('fk_joint_meetings_term_id_convener_terms')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_joint_meetings_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_joint_meetings_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_meetings'))
    )
    with op.batch_alter_table('joint_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_meetings_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_joint_meetings_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_joint_meetings_zone_id'), ['zone_id'], unique=False)

    op.create_table('inspection_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('clearing_case_id', sa.Integer(), nullable=True),
    sa.Column('case_label', sa.String(length=200), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('rectification_item_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_inspection_findings_county_id_units')),
    sa.ForeignKeyConstraint(['pair_id'], ['inspection_pairs.id'], name=op.f('fk_inspection_findings_pair_id_inspection_pairs')),
    sa.ForeignKeyConstraint(['rectification_item_id'], ['supervision_items.id'], name=op.f('fk_inspection_findings_rectification_item_id_supervision_items')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_inspection_findings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_findings'))
    )
    with op.batch_alter_table('inspection_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_findings_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_findings_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_findings_unit_path'), ['unit_path'], unique=False)

    op.create_table('meeting_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('task_units', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['units.id'], name=op.f('fk_meeting_decisions_county_id_units')),
    sa.ForeignKeyConstraint(['meeting_id'], ['joint_meetings.id'], name=op.f('fk_meeting_decisions_meeting_id_joint_meetings')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_meeting_decisions_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_meeting_decisions_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_decisions'))
    )
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decisions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decisions_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decisions_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for make_policies in RLS_TABLES.values():
            for statement in make_policies():
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
        op.execute("DROP FUNCTION IF EXISTS qinglian_member_zone_ids(integer)")
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_unit_path'))
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_unit_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_meeting_id'))

    op.drop_table('meeting_decisions')
    with op.batch_alter_table('inspection_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_findings_unit_path'))
        batch_op.drop_index(batch_op.f('ix_inspection_findings_unit_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_findings_pair_id'))

    op.drop_table('inspection_findings')
    with op.batch_alter_table('joint_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_meetings_zone_id'))
        batch_op.drop_index(batch_op.f('ix_joint_meetings_unit_path'))
        batch_op.drop_index(batch_op.f('ix_joint_meetings_unit_id'))

    op.drop_table('joint_meetings')
    with op.batch_alter_table('inspection_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_pairs_unit_path'))
        batch_op.drop_index(batch_op.f('ix_inspection_pairs_unit_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_pairs_round_id'))

    op.drop_table('inspection_pairs')
    with op.batch_alter_table('cross_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cross_grants_zone_id'))
        batch_op.drop_index(batch_op.f('ix_cross_grants_unit_path'))
        batch_op.drop_index(batch_op.f('ix_cross_grants_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cross_grants_owner_unit_id'))
        batch_op.drop_index('ix_cross_grants_object')
        batch_op.drop_index(batch_op.f('ix_cross_grants_grantee_unit_id'))

    op.drop_table('cross_grants')
    with op.batch_alter_table('zone_members', schema=None) as batch_op:
        batch_op.drop_index('uq_zone_members_current', sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))
        batch_op.drop_index(batch_op.f('ix_zone_members_zone_id'))
        batch_op.drop_index(batch_op.f('ix_zone_members_unit_path'))
        batch_op.drop_index(batch_op.f('ix_zone_members_unit_id'))
        batch_op.drop_index(batch_op.f('ix_zone_members_county_id'))

    op.drop_table('zone_members')
    with op.batch_alter_table('share_accesses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_accesses_unit_path'))
        batch_op.drop_index(batch_op.f('ix_share_accesses_unit_id'))
        batch_op.drop_index(batch_op.f('ix_share_accesses_share_id'))
        batch_op.drop_index('ix_share_accesses_object')

    op.drop_table('share_accesses')
    with op.batch_alter_table('inspection_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_rounds_zone_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_rounds_unit_path'))
        batch_op.drop_index(batch_op.f('ix_inspection_rounds_unit_id'))

    op.drop_table('inspection_rounds')
    with op.batch_alter_table('convener_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_convener_terms_zone_id'))
        batch_op.drop_index('ix_convener_terms_zone_current')
        batch_op.drop_index(batch_op.f('ix_convener_terms_unit_path'))
        batch_op.drop_index(batch_op.f('ix_convener_terms_unit_id'))

    op.drop_table('convener_terms')
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zones_unit_path'))
        batch_op.drop_index(batch_op.f('ix_zones_unit_id'))

    op.drop_table('zones')
