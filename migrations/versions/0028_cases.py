"""cases: 审查调查 with the county's review (镇案县审) and the execution of sanctions (处分执行)

``cases``, ``case_persons``, ``case_steps`` and ``case_execution_steps`` are the case's unit's rows (forced row-level
security on PostgreSQL: the owner's, and what a share names: the review's share of the case and its file to the
county, the watch of a late execution). ``case_reviews`` are the reviewing unit's rows with the case's unit as
counterparty (it reads the opinions and answers a send-back). The persons are sealed (SM4-GCM).

Revision ID: 0028_cases
Revises: 0027_lead_reports
Create Date: 2026-12-04 21:12:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0028_cases'
down_revision = '0027_lead_reports'
branch_labels = None
depends_on = None

TABLES = ("cases", "case_execution_steps", "case_persons", "case_reviews", "case_steps")
COUNTERPARTY = {"case_reviews": "case_unit_id"}
INDEXES = {
    "cases": ["ix_cases_handler_id", "ix_cases_queue", "ix_cases_unit_id", "ix_cases_unit_path"],
    "case_execution_steps": ["ix_case_execution_steps_case_id", "ix_case_execution_steps_unit_id",
                             "ix_case_execution_steps_unit_path"],
    "case_persons": ["ix_case_persons_case_id", "ix_case_persons_name_key", "ix_case_persons_unit_id",
                     "ix_case_persons_unit_path"],
    "case_reviews": ["ix_case_reviews_case_id", "ix_case_reviews_case_unit_id", "ix_case_reviews_open",
                     "ix_case_reviews_unit_id", "ix_case_reviews_unit_path"],
    "case_steps": ["ix_case_steps_case_id", "ix_case_steps_unit_id", "ix_case_steps_unit_path"],
}


def _attachments_read(purposes: tuple[str, ...]) -> list[str]:
    """The attachments' SELECT policy (migration 0021's) with the share purposes through which files travel: the
    county's review of a township's case (镇案县审) and the watch of its late execution read the case's files."""
    listed = ", ".join(f"'{p}'" for p in purposes)
    shared = ("EXISTS (SELECT 1 FROM shares s WHERE s.object_type = attachments.object_type"
              " AND s.object_id = attachments.object_id AND s.purpose IN (" + listed + ")"
              " AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())"
              f" AND (s.grantee_unit_id = {rls.CTX_UNIT} OR s.grantee_account_id = {rls.CTX_ACCOUNT}))")
    own = f"unit_id = {rls.CTX_UNIT} OR counterpart_unit_id = {rls.CTX_UNIT} OR {rls.MAINTENANCE}"
    return ["DROP POLICY attachments_select ON attachments",
            f"CREATE POLICY attachments_select ON attachments FOR SELECT USING ({own} OR {shared})"]


FILES_BEFORE = ("cross_handle", "escalated_review")
FILES_AFTER = (*FILES_BEFORE, "case_review", "execution_watch")


def upgrade():
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('lead_number', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('self_handled', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('proposal', sa.JSON(), nullable=True),
    sa.Column('review_unit_id', sa.Integer(), nullable=True),
    sa.Column('review_round', sa.Integer(), nullable=False),
    sa.Column('review_due_on', sa.Date(), nullable=True),
    sa.Column('decision', sa.JSON(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('sanction', sa.String(length=16), nullable=True),
    sa.Column('form', sa.String(length=16), nullable=True),
    sa.Column('execution_due_on', sa.Date(), nullable=True),
    sa.Column('executed_on', sa.Date(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['handler_id'], ['accounts.id'], name=op.f('fk_cases_handler_id_accounts')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_cases_lead_id_leads')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['accounts.id'], name=op.f('fk_cases_opened_by_id_accounts')),
    sa.ForeignKeyConstraint(['review_unit_id'], ['units.id'], name=op.f('fk_cases_review_unit_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cases_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('lead_id', name=op.f('uq_cases_lead_id')),
    sa.UniqueConstraint('unit_id', 'year', 'seq', name=op.f('uq_cases_unit_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index('ix_cases_queue', ['unit_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_unit_path'), ['unit_path'], unique=False)

    op.create_table('case_execution_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position_order', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_execution_steps_case_id_cases')),
    sa.ForeignKeyConstraint(['done_by_id'], ['accounts.id'], name=op.f('fk_case_execution_steps_done_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_execution_steps_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_execution_steps'))
    )
    with op.batch_alter_table('case_execution_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_execution_steps_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_execution_steps_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_execution_steps_unit_path'), ['unit_path'], unique=False)

    op.create_table('case_persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position_order', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('party_member', sa.Boolean(), nullable=True),
    sa.Column('name_key', sa.String(length=64), nullable=False),
    sa.Column('person_name', sa.Text(), nullable=False),
    sa.Column('person_position', sa.Text(), nullable=False),
    sa.Column('person_work_unit', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_persons_case_id_cases')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_persons_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_persons'))
    )
    with op.batch_alter_table('case_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_persons_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_persons_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_persons_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_persons_unit_path'), ['unit_path'], unique=False)

    op.create_table('case_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_unit_id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=64), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('proposal', sa.JSON(), nullable=True),
    sa.Column('opinion', sa.String(length=16), nullable=True),
    sa.Column('points', sa.Text(), nullable=True),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('escalation', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reviews_case_id_cases')),
    sa.ForeignKeyConstraint(['case_unit_id'], ['units.id'], name=op.f('fk_case_reviews_case_unit_id_units')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['accounts.id'], name=op.f('fk_case_reviews_reviewer_id_accounts')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['accounts.id'], name=op.f('fk_case_reviews_submitted_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_reviews_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reviews')),
    sa.UniqueConstraint('case_id', 'round', name=op.f('uq_case_reviews_case_id'))
    )
    with op.batch_alter_table('case_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_reviews_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reviews_case_unit_id'), ['case_unit_id'], unique=False)
        batch_op.create_index('ix_case_reviews_open', ['unit_id', 'opinion'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reviews_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reviews_unit_path'), ['unit_path'], unique=False)

    op.create_table('case_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_steps_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['accounts.id'], name=op.f('fk_case_steps_recorded_by_id_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_steps_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_steps'))
    )
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_steps_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_steps_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_steps_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.record_table(table, counterparty=COUNTERPARTY.get(table)):
                op.execute(statement)
        for statement in _attachments_read(FILES_AFTER):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in _attachments_read(FILES_BEFORE):
            op.execute(statement)
        for table in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in INDEXES[table]:
                batch_op.drop_index(index)
        op.drop_table(table)
