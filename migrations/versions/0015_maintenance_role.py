"""maintenance as its own database role (issue 16 item 5): the policies trust only signed settings

Until here a policy believed ``qinglian.maintenance`` (and the unit, path, account and role settings)
as the app role set them, so SQL run as the app role could turn RLS off with one set_config. From here
on every policy reads the settings through ``qinglian_setting(name)`` (tenants/rls.py), a SECURITY
DEFINER function that answers only while ``qinglian.context_sig`` is their HMAC under the context key,
which the app role cannot read. Existing policies are rewritten in place, whichever migration made
them; the zones' member function becomes SECURITY DEFINER too, owned by the schema owner (which reads
zone_members through a policy of its own), with a fixed search_path, answering only for the signed
acting unit.

Revision ID: 0015_maintenance_role
Revises: 0014_audit_checkpoints
Create Date: 2026-12-04 15:00:00

"""
import re

from alembic import op
import sqlalchemy as sa
from flask import current_app

from core.context import context_key
from tenants import rls

revision = '0015_maintenance_role'
down_revision = '0014_audit_checkpoints'
branch_labels = None
depends_on = None

# How PostgreSQL prints (pg_policies) a raw read of a setting, and the verified read that replaces it.
RAW = re.compile(r"current_setting\('qinglian\.(\w+)'::text, true\)")
VERIFIED = re.compile(r"\(\s*SELECT qinglian_setting\('(\w+)'::text\) AS qinglian_setting\)")

MEMBER_ZONES_FUNCTION = """CREATE OR REPLACE FUNCTION qinglian_member_zone_ids(member integer) RETURNS SETOF integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT zone_id FROM public.zone_members
    WHERE unit_id = member AND member = NULLIF(public.qinglian_setting('unit_id'), '')::integer
$$"""
OLD_MEMBER_ZONES_FUNCTION = """CREATE OR REPLACE FUNCTION qinglian_member_zone_ids(member integer) RETURNS SETOF integer
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE previous text := current_setting('qinglian.maintenance', true);
BEGIN
    PERFORM set_config('qinglian.maintenance', 'on', true);
    RETURN QUERY SELECT zone_id FROM zone_members WHERE unit_id = member;
    PERFORM set_config('qinglian.maintenance', coalesce(previous, ''), true);
END $$"""


def _rewrite_policies(pattern: re.Pattern, replacement: str) -> None:
    """Every policy of the schema whose expressions match ``pattern``, altered in place."""
    bind = op.get_bind()
    policies = bind.execute(sa.text(
        "SELECT policyname, tablename, qual, with_check FROM pg_policies WHERE schemaname = 'public'")).all()
    for name, table, using, check in policies:
        new_using, new_check = (pattern.sub(replacement, e) if e else e for e in (using, check))
        if (new_using, new_check) != (using, check):
            clauses = (f" USING ({new_using})" if new_using else "") + (
                f" WITH CHECK ({new_check})" if new_check else "")
            op.execute(f'ALTER POLICY "{name}" ON {table}{clauses}')


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # no RLS on SQLite
    for statement in rls.context_functions():
        op.execute(statement)
    sql, params = rls.install_context_key(context_key(current_app.config))
    op.get_bind().execute(sa.text(sql), params)  # env.py installs it again after every upgrade
    _rewrite_policies(RAW, r"(SELECT qinglian_setting('\1'))")
    op.execute("CREATE POLICY zone_members_definer ON zone_members FOR SELECT TO CURRENT_USER USING (true)")
    op.execute(MEMBER_ZONES_FUNCTION)
    left = op.get_bind().execute(sa.text(
        "SELECT string_agg(tablename || '.' || policyname, ', ') FROM pg_policies WHERE schemaname = 'public'"
        " AND (qual ~ 'current_setting\\(''qinglian' OR with_check ~ 'current_setting\\(''qinglian')")).scalar()
    if left:
        raise RuntimeError(f"policies still reading unsigned settings: {left}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(OLD_MEMBER_ZONES_FUNCTION)
    op.execute("DROP POLICY IF EXISTS zone_members_definer ON zone_members")
    _rewrite_policies(VERIFIED, r"current_setting('qinglian.\1', true)")
    # The function and key table stay: the builders of 0001-0014 name the function now (tenants/rls.py).
