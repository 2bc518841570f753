"""The audit trail (chain, tamper detection, viewer, export) and the job plumbing."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import text

from tests.conftest import REDIS_URL, run_queued_jobs


# The chain's tamper detection (edits, gaps, cut tails, keyed links, checkpoints): tests/test_audit_chain.py.


def test_audit_admin_filters_and_exports(app, browser, factory):
    tree = factory.tree()
    factory.account("officer", [(tree.town, "officer")])
    factory.account("aud", platform_role="audit")
    browser.login("officer")
    browser.get(f"/u/{tree.town2}/")  # a denied probe
    browser.logout()
    browser.login("aud")
    page = browser.get("/admin/audit?outcome=denied&account=officer").get_data(as_text=True)
    assert "进入单位工作台" in page and "officer" in page and "被拒绝" in page
    assert 'data-action="login"' not in page  # filtered to denials
    export = browser.get("/admin/audit?format=xlsx&account=officer")
    sheet = load_workbook(io.BytesIO(export.data)).active
    actions = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "进入单位工作台" in actions and "登录" in actions  # in words, as the viewer says them
    assert browser.get("/admin/units").status_code == 404  # the audit admin does not manage units


def test_verify_job_records_its_outcome(app, browser, factory):
    factory.account("aud", platform_role="audit")
    browser.login("aud")
    assert browser.post("/admin/audit/verify", form_page="/admin/audit").status_code == 302
    run_queued_jobs(app)
    page = browser.get("/admin/audit?action=audit.verify").get_data(as_text=True)
    assert "校验审计链" in page and ">成功<" in page


def test_status_page_shows_queues_and_periodic_jobs(app, browser, factory):
    factory.account("sys", platform_role="system")
    browser.login("sys")
    page = browser.get("/admin/status").get_data(as_text=True)
    assert "core.audit.jobs.verify_audit_chains" in page
    if REDIS_URL:
        assert "maintenance" in page and "没有运行中的工作进程" in page
    else:
        assert "未配置 Redis" in page


def test_status_page_shows_the_nightly_recount_and_what_drifted(app, browser, factory):
    """A figure moved behind the operations' back is mended by the recount and named (not valued) on the page."""
    from core import calendar, context
    from core.extensions import db
    from reporting.operations import record_reconcile_run
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    tree = factory.tree()
    factory.account("sys", platform_role="system")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        tenancy_ops.set_stat(db.session.get(Unit, tree.town), "petitions.open", 7)  # no petition says so
        result = record_reconcile_run(calendar.today())
        db.session.commit()
    assert result["drifted_units"] == 1 and result["metrics"] == {"petitions.open": 1}
    browser.login("sys")
    page = browser.get("/admin/status").get_data(as_text=True)
    assert "统计数据核对" in page and "petitions.open（1）" in page


def test_healthz_reports_database_and_redis(app):
    body = app.test_client().get("/healthz").get_json()
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if REDIS_URL else "not configured (jobs run inline)")


def test_openapi_document_lists_the_endpoints(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/auth/token", "/me", "/units", "/units/{unit_id}", "/units/{unit_id}/children", "/accounts"):
        assert path in doc["paths"], path
    assert "UnitCreate" in doc["components"]["schemas"]


def test_english_catalogue(app):
    assert "Username" in app.test_client().get("/login?lang=en").get_data(as_text=True)
    assert "用户名" in app.test_client().get("/login").get_data(as_text=True)


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from core.extensions import db
    from tenants.rls import unmapped_table

    engine = create_engine(app.config["DATABASE_MIGRATION_URL"])
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                        "include_object": unmapped_table}), db.metadata)
    engine.dispose()
    assert diff == []


def test_unit_admin_manages_own_members_only(app, browser, factory):
    tree = factory.tree()
    factory.account("admin", [(tree.town, "unit_admin")])
    factory.account("newcomer")
    factory.account("sec", platform_role="security")
    browser.login("admin")
    added = browser.post(f"/u/{tree.town}/members", {"username": "newcomer", "role": "officer"})
    assert added.status_code == 302
    refused = browser.post(f"/u/{tree.town}/members", {"username": "sec", "role": "officer"})
    assert refused.status_code == 422 and "三员" in refused.get_data(as_text=True)
    browser.logout()
    browser.login("newcomer")
    assert browser.get("/").location.endswith(f"/u/{tree.town}/")


def test_without_redis_the_cron_runs_each_periodic_job_when_it_falls_due(app, factory, owner_engine):
    """The embedded default has no RQ: `flask jobs cron` runs the periodic jobs itself. At Monday 01:00 the
    weekly bulletins of every unit above township are built (and every job due then runs)."""
    import threading
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from core.jobs import run_inline_cron

    tree = factory.tree()
    bulletins = text("SELECT count(*) FROM bulletins WHERE kind = 'weekly' AND unit_id = :u")
    with owner_engine.connect() as conn:
        assert conn.scalar(bulletins, {"u": tree.county}) == 0
    stop = threading.Event()

    def cron():
        with app.app_context():
            run_inline_cron(stop)

    monday_one = datetime(2026, 11, 23, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # cron reads the deployment's zone
    with time_machine.travel(monday_one.timestamp() - 0.5, tick=True):
        worker = threading.Thread(target=cron)
        worker.start()
        try:
            built = 0
            for _ in range(300):
                time.sleep(0.1)
                with owner_engine.connect() as conn:
                    built = conn.scalar(bulletins, {"u": tree.county})
                if built:
                    break
        finally:
            stop.set()
            worker.join(timeout=60)
    assert built == 1 and not worker.is_alive()
