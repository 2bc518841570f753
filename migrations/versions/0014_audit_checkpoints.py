"""audit chain checkpoints and keyed links (issue 16 item 4)

From here on the chain's links are HMAC-SM3 under QINGLIAN_AUDIT_KEY; rows written before
keep their plain SM3 links. For each existing chain a first checkpoint, signed with that
key, anchors its head and names its first keyed row (``keyed_from``), so a chain cut
below it, or recomputed with plain SM3 after it, is reported. Stop the app for this
upgrade (rows written by the old code after it would not verify).

On PostgreSQL the app role may only read and append checkpoints (in the audit admin's
context, as the verification job runs): forced RLS with SELECT and INSERT policies and
none for UPDATE or DELETE, and no UPDATE, DELETE or TRUNCATE privilege.

Revision ID: 0014_audit_checkpoints
Revises: 0013_accused_sealed
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

revision = '0014_audit_checkpoints'
down_revision = '0013_accused_sealed'
branch_labels = None
depends_on = None

AUDIT_ROLE = "current_setting('qinglian.platform_role', true) = 'audit'"


def upgrade():
    from core.audit.signing import checkpoint_signature
    from core.clock import utcnow

    checkpoints = op.create_table(
        'audit_checkpoints',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('chain', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('keyed_from', sa.Integer(), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    )
    op.create_index('ix_audit_checkpoints_chain_seq', 'audit_checkpoints', ['chain', 'seq'], unique=False)
    bind = op.get_bind()
    signed_at = utcnow()
    heads = bind.execute(sa.text("SELECT chain, seq, hash FROM audit_chain_heads WHERE seq > 0")).all()
    if heads:
        op.bulk_insert(checkpoints, [
            {"chain": chain, "seq": seq, "hash": hash_, "keyed_from": seq + 1, "signed_at": signed_at,
             "signature": checkpoint_signature(chain, seq, hash_, seq + 1, signed_at)}
            for chain, seq, hash_ in heads])
    if bind.dialect.name == "postgresql":
        for statement in [
            "ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY audit_checkpoints_select ON audit_checkpoints FOR SELECT USING ({AUDIT_ROLE})",
            f"CREATE POLICY audit_checkpoints_insert ON audit_checkpoints FOR INSERT WITH CHECK ({AUDIT_ROLE})",
        ]:
            op.execute(statement)
        role = current_app.config["DATABASE_APP_ROLE"]
        if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM {role}")


def downgrade():
    op.drop_table('audit_checkpoints')
