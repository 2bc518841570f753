"""casebook (issue 22): the guidance case library (典型案例 · 指导案例)

``casebook_cases`` (a province's or city's, inherited by its subtree), ``casebook_proposals`` (the proposing unit's,
with the upper unit it is sent to as counterparty) and ``casebook_references`` (a record's 参照案例, the record's
unit's): tenant tables with forced row-level security on PostgreSQL (tenants.rls).

Revision ID: 0035_casebook
Revises: 0034_guidance
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0035_casebook'
down_revision = '0034_guidance'
branch_labels = None
depends_on = None

TABLES = ("casebook_cases", "casebook_proposals", "casebook_references")


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


def _text_columns() -> list:
    return [sa.Column('title', sa.String(length=200), nullable=False),
            sa.Column('situation', sa.Text(), nullable=False),
            sa.Column('scope', sa.Text(), nullable=False),
            sa.Column('method', sa.Text(), nullable=False),
            sa.Column('templates', sa.JSON(), nullable=False),
            sa.Column('narrative', sa.Text(), nullable=False),
            sa.Column('tags', sa.JSON(), nullable=False),
            sa.Column('tag_index', sa.Text(), nullable=False),
            sa.Column('warnings', sa.JSON(), nullable=False)]


def _indexes(table: str, *extra) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_unit_path'), ['unit_path'], unique=False)
        for name, columns in extra:
            batch_op.create_index(name, columns, unique=False)


def upgrade():
    op.create_table('casebook_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    *_text_columns(),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('source_unit_name', sa.String(length=100), nullable=True),
    _account('casebook_cases', 'published_by_id'),
    sa.UniqueConstraint('unit_id', 'seq', name=op.f('uq_casebook_cases_unit_id')),
    *_tenant('casebook_cases'))
    _indexes('casebook_cases', ('ix_casebook_cases_state', ['unit_id', 'state']))

    op.create_table('casebook_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    *_text_columns(),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('proposed_on', sa.Date(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['publisher_id'], ['units.id'], name=op.f('fk_casebook_proposals_publisher_id_units')),
    sa.ForeignKeyConstraint(['case_id'], ['casebook_cases.id'],
                            name=op.f('fk_casebook_proposals_case_id_casebook_cases')),
    _account('casebook_proposals', 'proposed_by_id'), _account('casebook_proposals', 'decided_by_id'),
    *_tenant('casebook_proposals'))
    _indexes('casebook_proposals', ('ix_casebook_proposals_publisher', ['publisher_id', 'state']))

    op.create_table('casebook_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['casebook_cases.id'],
                            name=op.f('fk_casebook_references_case_id_casebook_cases')),
    _account('casebook_references', 'added_by_id'), _account('casebook_references', 'removed_by_id'),
    *_tenant('casebook_references', versioned=False))
    _indexes('casebook_references', ('ix_casebook_references_record', ['unit_id', 'record_type', 'record_id']),
             (op.f('ix_casebook_references_case_id'), ['case_id']))

    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.record_table("casebook_cases", inherited=True):
            op.execute(statement)
        for statement in rls.record_table("casebook_proposals", counterparty="publisher_id"):
            op.execute(statement)
        for statement in rls.record_table("casebook_references"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    for table in reversed(TABLES):
        op.drop_table(table)
