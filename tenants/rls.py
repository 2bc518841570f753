"""PostgreSQL row-level-security policies, as SQL the migrations execute.

Policies read the transaction-local settings written by core.context, but only through
``qinglian_setting(name)``: a SECURITY DEFINER function (owned by the schema owner, which the
app role cannot become) that answers a setting only while ``qinglian.context_sig`` is the
HMAC-SHA256 of all of them under the context key (core.context.context_key). The key is held in
``rls_context_key``, which the app role may not read, and in the app's process: SQL run as the app
role (an injection) can set any setting, but cannot sign one, so a forged unit, path, role or
maintenance flag reads as no context at all. Every tenant table gets ENABLE + FORCE (so even its
owner is filtered) and policies per command; a command without a policy is refused, which is how
DELETE is refused on records (nothing is hard-deleted) and UPDATE/DELETE on the audit trail.
"""
from core.context import SETTING_NAMES, SIGNATURE_SECONDS


def once(expression: str) -> str:
    """``expression`` as a scalar sub-select: PostgreSQL evaluates it once per statement (an InitPlan)
    instead of once per row. A function call is not a constant, so a policy comparing every row of a
    scan with it would call it (and verify the signature) on each of them."""
    return f"(SELECT {expression})"


def setting(name: str) -> str:
    """A context setting as the policies read it: verified, once per statement; NULL when unsigned."""
    return once(f"qinglian_setting('{name}')")


CTX_UNIT = f"NULLIF({setting('unit_id')}, '')::integer"
CTX_ACCOUNT = f"NULLIF({setting('account_id')}, '')::integer"
CTX_PATH = f"NULLIF({setting('unit_path')}, '')"
CTX_ROLE = setting("platform_role")
MAINTENANCE = f"({setting('maintenance')} = 'on')"

# The signed payload: each setting as "<length>:<value>" in SETTING_NAMES order (prefix-free, so no value
# can borrow another's characters); core.context.signature builds the same string.
_RAW = "coalesce(current_setting('qinglian.{}', true), '')"
_PAYLOAD = "concat(" + ", ".join(f"length({_RAW.format(n)}), ':', {_RAW.format(n)}" for n in SETTING_NAMES) + ")"


# Tables of the policies' own machinery, made by SQL and never mapped: autogenerate must not propose dropping them.
DATABASE_ONLY_TABLES = ("rls_context_key",)


def unmapped_table(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: False for the machinery's own tables."""
    return not (type_ == "table" and name in DATABASE_ONLY_TABLES)


def context_functions() -> list[str]:
    """The key table and the verifying accessor. Idempotent: every policy builder emits them before its
    policies (via _enable), so a policy never names a function that does not exist yet, from 0001 on."""
    return [
        "CREATE TABLE IF NOT EXISTS rls_context_key (id integer PRIMARY KEY CHECK (id = 1),"
        " inner_pad bytea NOT NULL, outer_pad bytea NOT NULL)",
        "REVOKE ALL ON rls_context_key FROM PUBLIC",
        # HMAC-SHA256 from the built-in sha256(): H((K xor opad) || H((K xor ipad) || payload)).
        # PL/pgSQL: its statement's plan is cached for the session (an SQL function's is made again per call site,
        # i.e. per InitPlan of every statement).
        "CREATE OR REPLACE FUNCTION qinglian_setting(name text) RETURNS text"
        " LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$"
        " DECLARE issued text := coalesce(current_setting('qinglian.context_issued', true), ''); verified boolean;"
        " BEGIN"
        f" IF issued !~ '^[0-9]{{1,12}}$' OR issued::bigint < extract(epoch FROM now()) - {SIGNATURE_SECONDS} THEN"
        " RETURN NULL; END IF;"
        " SELECT current_setting('qinglian.context_sig', true) = encode(sha256(k.outer_pad || sha256(k.inner_pad"
        f" || convert_to({_PAYLOAD}, 'UTF8'))), 'hex') INTO verified FROM public.rls_context_key k WHERE k.id = 1;"
        " RETURN CASE WHEN verified THEN current_setting('qinglian.' || name, true) END; END $$",
    ]


def install_context_key(key: bytes) -> tuple[str, dict]:
    """The statement (and its parameters) that stores ``key`` as the HMAC's two pads; run after every
    upgrade (migrations/env.py), so the database follows the app's SECRET_KEY."""
    padded = key.ljust(64, b"\0")
    return ("INSERT INTO rls_context_key (id, inner_pad, outer_pad) VALUES (1, :i, :o)"
            " ON CONFLICT (id) DO UPDATE SET inner_pad = excluded.inner_pad, outer_pad = excluded.outer_pad",
            {"i": bytes(b ^ 0x36 for b in padded), "o": bytes(b ^ 0x5C for b in padded)})


def _shared(table: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM shares s WHERE s.object_type = '{t}' AND s.object_id = {t}.id"
        " AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())"
        " AND (s.grantee_unit_id = {u} OR s.grantee_account_id = {a}))"
    ).format(t=table, u=CTX_UNIT, a=CTX_ACCOUNT)


def _enable(table: str) -> list[str]:
    # ENABLE and FORCE first: 0011 re-runs a builder's output from index 2 on a table enabled since 0001.
    return [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY", f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            *context_functions()]


def _policy(table: str, name: str, command: str, using: str | None = None, check: str | None = None) -> str:
    sql = f"CREATE POLICY {table}_{name} ON {table} FOR {command}"
    if using:
        sql += f" USING ({using})"
    if check:
        sql += f" WITH CHECK ({check})"
    return sql


def record_table(table: str, *, counterparty: str | None = None,
                 received_via: tuple[str, str, str] | None = None, inherited: bool = False) -> list[str]:
    """A casework record table: own unit's rows, plus rows shared to the acting unit/account.

    ``counterparty`` and ``received_via`` mirror the model's ``__counterparty__`` and
    ``__received_via__`` and ``__inherited__`` (tenants.models.TenantOwned): the other party reads
    and writes, a receiver or a unit below an inherited row only reads.
    """
    own = f"unit_id = {CTX_UNIT} OR {MAINTENANCE}"
    if counterparty:
        own += f" OR {counterparty} = {CTX_UNIT}"
    visible = f"{own} OR {_shared(table)}"
    if received_via:
        via, column, local = received_via
        visible += f" OR EXISTS (SELECT 1 FROM {via} r WHERE r.{column} = {table}.{local} AND r.unit_id = {CTX_UNIT})"
    if inherited:
        visible += f" OR unit_id = ANY(string_to_array(rtrim({CTX_PATH}, '.'), '.')::integer[])"
    return _enable(table) + [
        _policy(table, "select", "SELECT", using=visible),
        _policy(table, "insert", "INSERT", check=own),
        # A share may name transitions, so the grantee can update; the row stays in its unit.
        _policy(table, "update", "UPDATE", using=f"{own} OR {_shared(table)}", check=f"{own} OR {_shared(table)}"),
    ]


def history_table() -> list[str]:
    """Workflow history: the record's owner and counterpart, and grantees of a share of the record."""
    t = "workflow_history"
    own = f"unit_id = {CTX_UNIT} OR counterpart_unit_id = {CTX_UNIT} OR {MAINTENANCE}"
    shared = (
        f"EXISTS (SELECT 1 FROM shares s WHERE s.object_type = {t}.object_type AND s.object_id = {t}.object_id"
        " AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())"
        f" AND (s.grantee_unit_id = {CTX_UNIT} OR s.grantee_account_id = {CTX_ACCOUNT}))"
    )
    return _enable(t) + [
        _policy(t, "select", "SELECT", using=f"{own} OR {shared}"),
        _policy(t, "insert", "INSERT", check=f"{own} OR {shared}"),
    ]


def memberships_table() -> list[str]:
    read = (f"unit_id = {CTX_UNIT} OR account_id = {CTX_ACCOUNT} OR {CTX_ROLE} IN ('system', 'security')"
            f" OR {MAINTENANCE}")
    write = f"unit_id = {CTX_UNIT} OR {CTX_ROLE} = 'security' OR {MAINTENANCE}"
    return _enable("memberships") + [
        _policy("memberships", "select", "SELECT", using=read),
        _policy("memberships", "insert", "INSERT", check=write),
        _policy("memberships", "update", "UPDATE", using=write, check=write),
    ]


def shares_table() -> list[str]:
    read = (f"unit_id = {CTX_UNIT} OR grantee_unit_id = {CTX_UNIT} OR grantee_account_id = {CTX_ACCOUNT}"
            f" OR {MAINTENANCE}")
    write = f"unit_id = {CTX_UNIT} OR grantee_unit_id = {CTX_UNIT} OR {MAINTENANCE}"
    return _enable("shares") + [
        _policy("shares", "select", "SELECT", using=read),
        _policy("shares", "insert", "INSERT", check=f"unit_id = {CTX_UNIT} OR {MAINTENANCE}"),
        _policy("shares", "update", "UPDATE", using=write, check=write),
    ]


def shares_granted_by_ancestors() -> list[str]:
    """Since 0002: an ancestor may also grant itself a share of a descendant's record.

    Supervision and escalated review make a lower unit's record visible to the higher unit
    that supervises it; which flow may do so is the access module's decision.
    """
    owner_path = "(SELECT u.path FROM units u WHERE u.id = shares.unit_id)"
    by_ancestor = (f"(grantee_unit_id = {CTX_UNIT} AND {owner_path} > {CTX_PATH}"
                   f" AND {owner_path} < overlay({CTX_PATH} placing '/' from length({CTX_PATH})))")
    return ["DROP POLICY shares_insert ON shares",
            _policy("shares", "insert", "INSERT", check=f"unit_id = {CTX_UNIT} OR {MAINTENANCE} OR {by_ancestor}")]


def audit_table() -> list[str]:
    return _enable("audit_events") + [
        _policy("audit_events", "select", "SELECT", using=f"{CTX_ROLE} = 'audit' OR {MAINTENANCE}"),
        # Anyone may append (denials of anonymous requests too); nobody may change or delete.
        _policy("audit_events", "insert", "INSERT", check="true"),
    ]


def stats_table(table: str = "unit_stats", *, evaluate_once: bool = False, owner_writes: bool = True,
                journal: bool = False) -> list[str]:
    """A per-unit figures table: a row is readable by its unit and every ancestor (the subtree's range from
    the acting unit's path), writable by its own unit. ``evaluate_once`` reads the settings once per
    statement (InitPlans; since 0011); ``owner_writes=False`` leaves writing to the maintenance context (the
    fold of the subtree totals); ``journal``: append-only rows its own unit inserts, which the fold deletes
    (maintenance) and a move of the subtree re-paths (maintenance)."""
    upper = f"overlay({CTX_PATH} placing '/' from length({CTX_PATH}))"
    upper, maintenance = once(upper) if evaluate_once else upper, MAINTENANCE
    subtree = f"(unit_path >= {CTX_PATH} AND unit_path < {upper})"
    own = f"unit_id = {CTX_UNIT} OR {maintenance}" if owner_writes or journal else maintenance
    policies = [_policy(table, "select", "SELECT", using=f"{subtree} OR {maintenance}"),
                _policy(table, "insert", "INSERT", check=own)]
    if journal:
        policies += [_policy(table, "update", "UPDATE", using=maintenance, check=maintenance),
                     _policy(table, "delete", "DELETE", using=maintenance)]
    else:
        write = own if owner_writes else maintenance
        policies.append(_policy(table, "update", "UPDATE", using=write, check=write))
    return _enable(table) + policies


def changed_units_table() -> list[str]:
    """A unit marks itself (the writing transaction); the refresh job (maintenance) reads and clears."""
    own = f"unit_id = {CTX_UNIT} OR {MAINTENANCE}"
    return _enable("changed_units") + [
        _policy("changed_units", "select", "SELECT", using=own),
        _policy("changed_units", "insert", "INSERT", check=own),
        _policy("changed_units", "update", "UPDATE", using=own, check=own),
        _policy("changed_units", "delete", "DELETE", using=MAINTENANCE),
    ]


def drop_policies(table: str, names: list[str]) -> list[str]:
    return [f"DROP POLICY IF EXISTS {table}_{n} ON {table}" for n in names] + [
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def grant_app_role(role: str) -> list[str]:
    """The app role reads and writes tables but only appends to the audit trail, and owns nothing."""
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The one queue the app empties: units whose time-based figures await their refresh.
        f"GRANT DELETE ON changed_units TO {role}",
        # The journal of stats moves, emptied into the subtree totals by the fold (reporting.operations);
        # from 0011 on (the grants follow every upgrade, also one stopping short of it).
        f"DO $$ BEGIN IF to_regclass('public.unit_stat_journal') IS NOT NULL THEN "
        f"GRANT DELETE ON unit_stat_journal TO {role}; END IF; END $$",
        # The periodic jobs' runs, purged after their keeping period (core.job_runs; since 0038).
        f"DO $$ BEGIN IF to_regclass('public.job_runs') IS NOT NULL THEN "
        f"GRANT DELETE ON job_runs TO {role}; END IF; END $$",
        # 数据字典: an added entry no record carries is removed by the system admin (core.dictionaries; since 0039).
        f"DO $$ BEGIN IF to_regclass('public.dictionary_entries') IS NOT NULL THEN "
        f"GRANT DELETE ON dictionary_entries TO {role}; END IF; END $$",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {role}",
        # The audit chains' signed checkpoints: written once, never rewritten by the app (since 0014).
        f"DO $$ BEGIN IF to_regclass('public.audit_checkpoints') IS NOT NULL THEN "
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM {role}; END IF; END $$",
        # The context key signs the settings RLS trusts: never readable by the app role (since 0015).
        f"DO $$ BEGIN IF to_regclass('public.rls_context_key') IS NOT NULL THEN "
        f"REVOKE ALL ON rls_context_key FROM {role}; END IF; END $$",
        f"REVOKE DELETE, TRUNCATE ON alembic_version FROM {role}",
        f"REVOKE INSERT, UPDATE ON alembic_version FROM {role}",
    ]
