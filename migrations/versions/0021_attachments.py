"""attachments (附件): files of every record, sealed outside the rows

``attachments`` is tenant-owned with forced row-level security on PostgreSQL: the owning record's unit, the
record's other party (``counterpart_unit_id``), and a unit or account holding an active share of the record
itself whose purpose lets files travel (cross-handling, escalated review: core.attachments.queries), which may
also add one through a cross-handling share. Nothing is deleted (no DELETE policy).

Revision ID: 0021_attachments
Revises: 0020_petition_work_areas
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

from tenants import rls

revision = '0021_attachments'
down_revision = '0020_petition_work_areas'
branch_labels = None
depends_on = None


def _record_shared(purposes: tuple[str, ...]) -> str:
    """An active share of the attachment's record to the acting unit or account, for one of ``purposes``."""
    listed = ", ".join(f"'{p}'" for p in purposes)
    return ("EXISTS (SELECT 1 FROM shares s WHERE s.object_type = attachments.object_type"
            " AND s.object_id = attachments.object_id AND s.purpose IN (" + listed + ")"
            " AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())"
            f" AND (s.grantee_unit_id = {rls.CTX_UNIT} OR s.grantee_account_id = {rls.CTX_ACCOUNT}))")


def _attachments_policies() -> list[str]:
    own = f"unit_id = {rls.CTX_UNIT} OR counterpart_unit_id = {rls.CTX_UNIT} OR {rls.MAINTENANCE}"
    read = f"{own} OR {_record_shared(('cross_handle', 'escalated_review'))}"
    write = f"{own} OR {_record_shared(('cross_handle',))}"
    return [*rls.record_table("attachments", counterparty="counterpart_unit_id"),
            "DROP POLICY attachments_select ON attachments",
            "DROP POLICY attachments_insert ON attachments",
            "DROP POLICY attachments_update ON attachments",
            f"CREATE POLICY attachments_select ON attachments FOR SELECT USING ({read})",
            f"CREATE POLICY attachments_insert ON attachments FOR INSERT WITH CHECK ({write})",
            f"CREATE POLICY attachments_update ON attachments FOR UPDATE USING ({write}) WITH CHECK ({write})"]


def upgrade():
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('counterpart_unit_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sm3', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('informant', sa.Boolean(), nullable=False),
    sa.Column('uploaded_in_unit_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_by_id', sa.Integer(), nullable=True),
    sa.Column('archive_reason', sa.Text(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['archived_by_id'], ['accounts.id'], name=op.f('fk_attachments_archived_by_id_accounts')),
    sa.ForeignKeyConstraint(['counterpart_unit_id'], ['units.id'], name=op.f('fk_attachments_counterpart_unit_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_attachments_unit_id_units')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['accounts.id'], name=op.f('fk_attachments_uploaded_by_id_accounts')),
    sa.ForeignKeyConstraint(['uploaded_in_unit_id'], ['units.id'], name=op.f('fk_attachments_uploaded_in_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_unit_path'), ['unit_path'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in _attachments_policies():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.drop_policies("attachments", ["select", "insert", "update"]):
            op.execute(statement)
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_unit_path'))
        batch_op.drop_index(batch_op.f('ix_attachments_unit_id'))
        batch_op.drop_index('ix_attachments_object')
    op.drop_table('attachments')
