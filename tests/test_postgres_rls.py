"""Row-level security on PostgreSQL: the database itself refuses rows outside the context."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ADMIN_URL, APP_ROLE

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not ADMIN_URL, reason="runs in the PostgreSQL pass (TEST_DATABASE_URL)")]


def sign(app, conn, **settings) -> None:
    """Set the acting context on ``conn`` as the app does: the settings with their signature."""
    from core import context

    with app.app_context():
        context.apply(conn, context.ActingContext(**settings))


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
        # ... while the rows are there: the (signed) maintenance context sees them.
        sign(app, conn, maintenance=True)
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
        sign(app, conn, unit_id=tree.town)
        rows = conn.execute(text("SELECT unit_id FROM memberships")).scalars().all()
        assert rows == [tree.town]
        conn.rollback()
        sign(app, conn, unit_id=tree.county, unit_path=county_path)
        # The county sums its two townships' figures; the other county's township is invisible.
        assert conn.execute(text("SELECT sum(value) FROM unit_stats")).scalar() == 2


def test_app_role_cannot_change_or_delete_the_audit_trail(app, app_engine, browser, factory):
    factory.account("someone", [(factory.tree().town, "officer")])
    browser.login("someone")
    with app_engine.connect() as conn:
        sign(app, conn, platform_role="audit")
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
    with app_engine.connect() as conn:
        sign(app, conn, unit_id=tree.county, unit_path=county_path)
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


def forgeries(victim: dict) -> dict[str, dict]:
    """Settings an injection may write: the maintenance flag, another unit's id and path, the audit role."""
    return {"maintenance flag": {"maintenance": "on"}, "another unit": victim,
            "audit admin": {"platform_role": "audit"},
            "everything at once": {**victim, "maintenance": "on", "platform_role": "audit"}}


@pytest.fixture
def two_townships(app, factory):
    """Petitions, audit events and figures (stats rows, journal, totals) in 东镇 (the attacker's) and 西镇."""
    from datetime import date

    from core import context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from reporting.operations import fold_journal
    from tenants import operations as ops
    from tenants.models import Unit

    tree = factory.tree()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = {}
        for unit_id in (tree.town, tree.town2):
            unit = units[unit_id] = db.session.get(Unit, unit_id)
            petition_ops.register_petition(unit, dict(
                channel="letter", received_on=date.today(), anonymous=False, informant={"name": "王某", "phone":
                f"1380000{unit_id:04d}"}, accused_name="某干部", summary="反映问题"))
            ops.bump_stat(unit, "cases", 1)
        fold_journal()
        for unit in units.values():
            ops.bump_stat(unit, "cases", 1)  # a move in the journal, not folded yet
        paths = {unit_id: unit.path for unit_id, unit in units.items()}
        db.session.commit()
    return tree, paths


def _foreign_rows(conn, town: int) -> dict[str, int]:
    """What the attacker (东镇) must never read: other units' petitions and figures, and the audit trail."""
    counts = {t: conn.execute(text(f"SELECT count(*) FROM {t} WHERE unit_id <> :u"), {"u": town}).scalar()
              for t in ("petitions", "unit_stats", "unit_stat_journal", "unit_stat_totals")}
    counts["audit_events"] = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
    return counts


@pytest.mark.parametrize("is_local", [True, False], ids=["set-local", "set-session"])
@pytest.mark.parametrize("forgery", forgeries({}))
@pytest.mark.parametrize("signed_first", [True, False], ids=["inside-a-signed-context", "without-context"])
def test_app_role_sees_no_foreign_row_whatever_it_sets(app, app_engine, two_townships, forgery, is_local,
                                                       signed_first):
    tree, paths = two_townships
    victim = {"unit_id": str(tree.town2), "unit_path": paths[tree.town2]}
    forged = forgeries(victim)[forgery]
    nothing = {"petitions": 0, "unit_stats": 0, "unit_stat_journal": 0, "unit_stat_totals": 0, "audit_events": 0}
    with app_engine.connect() as conn:
        # Before: what an injection inherits from a real request of 东镇, and what the database holds.
        sign(app, conn, maintenance=True)
        assert all(_foreign_rows(conn, tree.town).values())
        conn.rollback()
        if signed_first:
            sign(app, conn, account_id=1, unit_id=tree.town, unit_path=paths[tree.town])
            assert conn.execute(text("SELECT count(*) FROM petitions")).scalar() == 1  # its own
        for name, value in forged.items():
            conn.execute(text("SELECT set_config(:n, :v, :l)"), {"n": f"qinglian.{name}", "v": value, "l": is_local})
        assert _foreign_rows(conn, tree.town) == nothing
        conn.commit()
        # A session-level forgery outlives the transaction: the next one on the pooled connection sees nothing.
        assert _foreign_rows(conn, tree.town) == nothing


def test_a_signature_read_by_an_injection_is_worthless_five_minutes_later(app, app_engine, two_townships,
                                                                         monkeypatch):
    """An injected statement can read the signed settings of the context it runs in (a maintenance job's too);
    replayed in a transaction begun more than five minutes after they were signed, they admit nothing."""
    from core import context

    tree, _ = two_townships
    with app_engine.connect() as conn:
        sign(app, conn, maintenance=True)
        names = [f"qinglian.{name}" for name in (*context.SETTING_NAMES, "context_sig")]
        stolen = [(n, conn.execute(text("SELECT current_setting(:n)"), {"n": n}).scalar()) for n in names]
        assert conn.execute(text("SELECT count(*) FROM petitions")).scalar() == 2
        conn.rollback()
        with app.app_context():
            now = context._database_time(conn)
        monkeypatch.setattr(context, "_database_time", lambda connection: now - context.SIGNATURE_SECONDS - 60)
        sign(app, conn, maintenance=True)  # the same settings, signed six minutes ago
        assert conn.execute(text("SELECT count(*) FROM petitions")).scalar() == 0
        conn.rollback()
        for name, value in stolen:  # and the ones read a moment ago still work, within the five minutes
            conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
        assert conn.execute(text("SELECT count(*) FROM petitions")).scalar() == 2


def test_app_role_can_neither_read_the_context_key_nor_ask_the_member_function_for_another_unit(
        app, app_engine, factory):
    tree = factory.tree()
    with app_engine.connect() as conn:
        for statement in ("SELECT * FROM rls_context_key", "UPDATE rls_context_key SET inner_pad = ''",
                          "DELETE FROM rls_context_key"):
            with pytest.raises(Exception, match="permission denied"):
                with conn.begin_nested():
                    conn.execute(text(statement))
        # The zones' member function answers for the signed acting unit only.
        sign(app, conn, unit_id=tree.town)
        assert conn.execute(text("SELECT count(*) FROM qinglian_member_zone_ids(:u)"), {"u": tree.town2}).scalar() == 0


def test_every_policy_reads_the_settings_through_the_verifying_function(app_engine):
    """Also the policies of migrations after 0015: a raw current_setting() would trust a forgeable value."""
    with app_engine.connect() as conn:
        raw = conn.execute(text(
            "SELECT tablename || '.' || policyname FROM pg_policies WHERE schemaname = 'public'"
            " AND (coalesce(qual, '') || coalesce(with_check, '')) ~ 'current_setting\\(''qinglian'")).scalars().all()
        assert raw == []
        functions = dict(conn.execute(text(
            "SELECT proname, prosecdef AND proconfig = '{\"search_path=pg_catalog, pg_temp\"}'"
            " AND pg_get_userbyid(proowner) <> current_user FROM pg_proc"
            " WHERE proname IN ('qinglian_setting', 'qinglian_member_zone_ids')")).all())
        assert functions == {"qinglian_setting": True, "qinglian_member_zone_ids": True}
