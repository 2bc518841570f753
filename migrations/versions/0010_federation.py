"""federation: upstream peers, their keys and accepted pushes

Two platform tables (no row-level security, like units and accounts): ``federation_peers``, the
downstream deployments an upstream registered, each with the unit standing for it, and
``federation_pushes``, the pushes this deployment sent upstream with their answers. The figures
themselves are stats rows of the peer's unit in ``unit_stats``.

Revision ID: 0010_federation
Revises: 0009_exports
Create Date: 2026-11-21 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_federation'
down_revision = '0009_exports'
branch_labels = None
depends_on = None


def upgrade():
    bigint = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('federated', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('federation_peers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('federated_unit_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('last_sequence', bigint, nullable=True),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_figures', sa.Integer(), nullable=False),
    sa.Column('refusals', sa.Integer(), nullable=False),
    sa.Column('last_refused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_refusal', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registered_by_id'], ['accounts.id'],
                            name=op.f('fk_federation_peers_registered_by_id_accounts')),
    sa.ForeignKeyConstraint(['federated_unit_id'], ['units.id'],
                            name=op.f('fk_federation_peers_federated_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_peers')),
    sa.UniqueConstraint('name', name=op.f('uq_federation_peers_name')),
    sa.UniqueConstraint('federated_unit_id', name=op.f('uq_federation_peers_federated_unit_id'))
    )
    op.create_table('federation_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', bigint, nullable=False),
    sa.Column('peer_name', sa.String(length=64), nullable=False),
    sa.Column('upstream_url', sa.String(length=255), nullable=False),
    sa.Column('root_unit_id', sa.Integer(), nullable=False),
    sa.Column('figures', sa.Integer(), nullable=False),
    sa.Column('body_bytes', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'],
                            name=op.f('fk_federation_pushes_requested_by_id_accounts')),
    sa.ForeignKeyConstraint(['root_unit_id'], ['units.id'], name=op.f('fk_federation_pushes_root_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_pushes'))
    )
    with op.batch_alter_table('federation_pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_pushes_sequence'), ['sequence'], unique=False)


def downgrade():
    with op.batch_alter_table('federation_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_pushes_sequence'))
    op.drop_table('federation_pushes')
    op.drop_table('federation_peers')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('federated')
