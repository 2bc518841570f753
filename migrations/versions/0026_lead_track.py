"""leads: the funnel's track of each lead (一个漏斗: 镇案镇办 / 县领办 / 县镇合办), 镇案镇办 until decided

A township's lead is 镇案镇办 until the county decides otherwise; a county's or city's own lead has no track ('').

Revision ID: 0026_lead_track
Revises: 0025_leads
Create Date: 2026-12-04 21:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0026_lead_track'
down_revision = '0025_leads'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads') as batch:
        batch.add_column(sa.Column('track', sa.String(length=16), nullable=False, server_default='township'))
    op.execute("UPDATE leads SET track = '' WHERE unit_id NOT IN (SELECT id FROM units WHERE level = 'township')")


def downgrade():
    with op.batch_alter_table('leads') as batch:
        batch.drop_column('track')
