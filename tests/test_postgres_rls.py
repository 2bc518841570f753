"""Row-level security on PostgreSQL: the database itself refuses rows outside the context."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ADMIN_URL, APP_ROLE

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not ADMIN_URL, reason="runs in the PostgreSQL pass (TEST_DATABASE_URL)")]


@pytest.fixture
def app_engine(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


def tenant_tables(conn) -> list[str]:
    return list(conn.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'unit_id'"
        " AND table_name <> 'units' ORDER BY table_name")).scalars())


def test_app_role_is_neither_superuser_nor_bypassrls_nor_owner(app_engine):
    with app_engine.connect() as conn:
        me = conn.execute(text("SELECT current_user")).scalar()
        assert me == APP_ROLE
        superuser, bypass = conn.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        assert not superuser and not bypass
        owned = conn.execute(text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")).scalar()
        assert owned == 0


def test_rls_enabled_and_forced_on_every_table_with_unit_id(app_engine):
    with app_engine.connect() as conn:
        tables = tenant_tables(conn)
        assert {"memberships", "shares", "audit_events", "unit_stats"} <= set(tables)
        for table in tables:
            enabled, forced = conn.execute(text(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :t"), {"t": table}).one()
            assert enabled and forced, table


def test_without_context_every_tenant_table_reads_empty(app, app_engine, factory):
    tree = factory.tree()
    factory.account("someone", [(tree.town, "officer")])
    with app.app_context():
        from core import context
        from core.extensions import db
        from tenants import operations as ops
        from tenants.models import Unit

        with context.acting(context.maintenance_context(), db.session):
            ops.bump_stat(db.session.get(Unit, tree.town), "petitions.open", 3)
            ops.grant_share("petitions", 1, db.session.get(Unit, tree.town), purpose="supervision",
                            grantee_unit=db.session.get(Unit, tree.county))
            db.session.commit()
    with app_engine.connect() as conn:
        for table in tenant_tables(conn):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
        # ... while the rows are there: the maintenance context sees them.
        conn.execute(text("SELECT set_config('qinglian.maintenance', 'on', true)"))
        assert conn.execute(text("SELECT count(*) FROM memberships")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM unit_stats")).scalar() == 1


def test_unit_context_sees_only_its_own_rows_and_subtree_stats(app, app_engine, factory):
    tree = factory.tree()
    factory.account("east", [(tree.town, "officer")])
    factory.account("west", [(tree.town2, "officer")])
    with app.app_context():
        from core import context
        from core.extensions import db
        from tenants import operations as ops
        from tenants.models import Unit

        with context.acting(context.maintenance_context(), db.session):
            for unit_id in (tree.town, tree.town2, tree.other_town):
                ops.bump_stat(db.session.get(Unit, unit_id), "cases", 1)
            county_path = db.session.get(Unit, tree.county).path
            db.session.commit()
    with app_engine.connect() as conn:
        conn.execute(text("SELECT set_config('qinglian.unit_id', :u, true)"), {"u": str(tree.town)})
        rows = conn.execute(text("SELECT unit_id FROM memberships")).scalars().all()
        assert rows == [tree.town]
        conn.rollback()
        conn.execute(text("SELECT set_config('qinglian.unit_id', :u, true), set_config('qinglian.unit_path', :p, true)"),
                     {"u": str(tree.county), "p": county_path})
        # The county sums its two townships' figures; the other county's township is invisible.
        assert conn.execute(text("SELECT sum(value) FROM unit_stats")).scalar() == 2


def test_app_role_cannot_change_or_delete_the_audit_trail(app, app_engine, browser, factory):
    factory.account("someone", [(factory.tree().town, "officer")])
    browser.login("someone")
    with app_engine.connect() as conn:
        conn.execute(text("SELECT set_config('qinglian.platform_role', 'audit', true)"))
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() > 0
        for statement in ("UPDATE audit_events SET outcome = 'ok'", "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="permission denied"):
                with conn.begin_nested():
                    conn.execute(text(statement))


def test_records_are_never_hard_deleted(app_engine, factory):
    factory.account("someone", [(factory.tree().town, "officer")])
    with app_engine.connect() as conn:
        with pytest.raises(Exception, match="permission denied"):
            conn.execute(text("DELETE FROM memberships"))


def test_subtree_totals_and_journal_are_read_by_the_subtree_and_written_only_by_their_unit_or_the_fold(
        app, app_engine, factory):
    tree = factory.tree()
    with app.app_context():
        from core import context
        from core.extensions import db
        from reporting.operations import fold_journal
        from tenants import operations as ops
        from tenants.models import Unit

        with context.acting(context.maintenance_context(), db.session):
            ops.bump_stat(db.session.get(Unit, tree.town), "cases", 2)
            ops.bump_stat(db.session.get(Unit, tree.other_town), "cases", 1)
            fold_journal()
            ops.bump_stat(db.session.get(Unit, tree.town), "cases", 1)
            county_path = db.session.get(Unit, tree.county).path
            db.session.commit()
    county = {"u": str(tree.county), "p": county_path}
    as_county = text("SELECT set_config('qinglian.unit_id', :u, true), set_config('qinglian.unit_path', :p, true)")
    with app_engine.connect() as conn:
        conn.execute(as_county, county)
        # The county reads the totals of its subtree's units (not the city's or the province's) and the moves
        # journaled below it since the fold.
        assert set(conn.execute(text("SELECT unit_id FROM unit_stat_totals")).scalars()) == {tree.county, tree.town}
        assert conn.execute(text("SELECT sum(value) FROM unit_stat_totals WHERE unit_id = :u"),
                            {"u": tree.county}).scalar() == 2
        assert conn.execute(text("SELECT sum(delta) FROM unit_stat_journal")).scalar() == 1
        # Outside the fold nobody changes the totals or empties the journal, and a unit journals its own moves only.
        assert conn.execute(text("UPDATE unit_stat_totals SET value = 99")).rowcount == 0
        assert conn.execute(text("DELETE FROM unit_stat_journal")).rowcount == 0
        for statement in ("INSERT INTO unit_stat_totals (unit_id, unit_path, metric, period, value) "
                          "VALUES (:u, :p, 'cases', '', 5)",
                          "INSERT INTO unit_stat_journal (unit_id, unit_path, metric, period, delta, at) "
                          f"VALUES ({tree.town}, :p, 'cases', '', 5, now())"):
            with pytest.raises(Exception, match="row-level security"):
                with conn.begin_nested():
                    conn.execute(text(statement), county)
        conn.execute(text("INSERT INTO unit_stat_journal (unit_id, unit_path, metric, period, delta, at) "
                          "VALUES (:u, :p, 'cases', '', 5, now())"), county)
        conn.rollback()
        # No context: nothing.
        assert conn.execute(text("SELECT count(*) FROM unit_stat_totals")).scalar() == 0
