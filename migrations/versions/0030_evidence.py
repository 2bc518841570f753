"""remote evidence (远程取证): remote interviews whose procedure is enforced step by step

``remote_interviews`` is tenant-owned with forced row-level security on PostgreSQL (the owning unit's rows, and
what a share of them names). The witness (name, position, work unit, identity document number) is sealed
(SM4-GCM, bound to table, unit and id). The steps are the interview's workflow history; the recording and the
signed transcript are attachments, named on the interview when it is finalised.

Revision ID: 0030_evidence
Revises: 0029_villages
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0030_evidence'
down_revision = '0029_villages'
branch_labels = None
depends_on = None

TABLES = ("remote_interviews",)


def upgrade():
    op.create_table('remote_interviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_title', sa.String(length=64), nullable=False),
    sa.Column('witness_id_number', sa.Text(), nullable=False),
    sa.Column('staff1_id', sa.Integer(), nullable=False),
    sa.Column('staff2_id', sa.Integer(), nullable=False),
    sa.Column('staff1_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('staff2_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.String(length=24), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('consent_note', sa.Text(), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('recording_file_id', sa.Integer(), nullable=True),
    sa.Column('transcript_file_id', sa.Integer(), nullable=True),
    sa.Column('finalised_on', sa.Date(), nullable=True),
    sa.Column('finalised_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('check_note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('person_name', sa.Text(), nullable=False),
    sa.Column('person_position', sa.Text(), nullable=False),
    sa.Column('person_work_unit', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['staff1_id'], ['accounts.id'], name=op.f('fk_remote_interviews_staff1_id_accounts')),
    sa.ForeignKeyConstraint(['staff2_id'], ['accounts.id'], name=op.f('fk_remote_interviews_staff2_id_accounts')),
    sa.ForeignKeyConstraint(['finalised_by_id'], ['accounts.id'],
                            name=op.f('fk_remote_interviews_finalised_by_id_accounts')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['accounts.id'],
                            name=op.f('fk_remote_interviews_checked_by_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'],
                            name=op.f('fk_remote_interviews_created_by_id_accounts')),
    sa.ForeignKeyConstraint(['recording_file_id'], ['attachments.id'],
                            name=op.f('fk_remote_interviews_recording_file_id_attachments')),
    sa.ForeignKeyConstraint(['transcript_file_id'], ['attachments.id'],
                            name=op.f('fk_remote_interviews_transcript_file_id_attachments')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_remote_interviews_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_interviews')),
    sa.UniqueConstraint('unit_id', 'year', 'seq', name=op.f('uq_remote_interviews_unit_id'))
    )
    with op.batch_alter_table('remote_interviews', schema=None) as batch_op:
        batch_op.create_index('ix_remote_interviews_subject', ['unit_id', 'subject_type', 'subject_id'], unique=False)
        batch_op.create_index('ix_remote_interviews_queue', ['unit_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_remote_interviews_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remote_interviews_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.record_table(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            for statement in rls.drop_policies(table, ["select", "insert", "update"]):
                op.execute(statement)
    with op.batch_alter_table('remote_interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remote_interviews_unit_path'))
        batch_op.drop_index(batch_op.f('ix_remote_interviews_unit_id'))
        batch_op.drop_index('ix_remote_interviews_queue')
        batch_op.drop_index('ix_remote_interviews_subject')
    op.drop_table('remote_interviews')
