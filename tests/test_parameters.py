"""参数设置 (issue 23): the settings offices tune kept in the database with the environment as default and as a
pinned override; a bad value refused with its reason and nothing saved; a good one effective at once (no restart);
each admin edits only the parameters of their duty (三员); every change audited."""
from __future__ import annotations

import json

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import Browser


def test_the_security_admin_tunes_the_lockout_and_it_takes_effect_at_once(app, factory):
    from core.audit.models import AuditEvent

    tree = factory.tree()
    factory.account("pa-officer", [(tree.town, "officer")])
    factory.account("pa-sec", platform_role="security")
    admin = Browser(app, factory)
    admin.login("pa-sec")
    page = admin.get("/admin/parameters").get_data(as_text=True)
    assert 'data-parameter="LOCKOUT_THRESHOLD"' in page and "连续登录失败锁定次数" in page
    assert 'data-parameter="PETITION_HANDLING_WORKDAYS"' not in page  # the system admin's

    for bad, reason in (("两次", "须为整数"), ("1", "应在 3 至 20 次之间"), ("21", "应在 3 至 20 次之间")):
        refused = admin.post("/admin/parameters", {"key": "LOCKOUT_THRESHOLD", "value": bad}, form_page="/admin/parameters")
        assert refused.status_code == 422 and reason in refused.get_data(as_text=True), bad
    refused = admin.post("/admin/parameters", {"key": "PETITION_HANDLING_WORKDAYS", "value": "30"},
                         form_page="/admin/parameters")
    assert refused.status_code == 422 and "没有这个参数" in refused.get_data(as_text=True)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "parameter.update")) is None

    assert admin.post("/admin/parameters", {"key": "LOCKOUT_THRESHOLD", "value": "3"},
                      form_page="/admin/parameters").status_code == 302
    page = admin.get("/admin/parameters").get_data(as_text=True)
    assert 'data-parameter="LOCKOUT_THRESHOLD" data-source="database"' in page
    # Three wrong passwords now lock the account (the default is five): no restart between.
    stranger = Browser(app, factory)
    for _ in range(3):
        stranger.post("/login", {"username": "pa-officer", "password": "wrong-password"})
    assert Browser(app, factory).login("pa-officer").status_code != 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        detail = json.loads(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "parameter.update")).one())
    assert detail["old_value"] == 5 and detail["new_value"] == 3

    # Empty: back to the default.
    assert admin.post("/admin/parameters", {"key": "LOCKOUT_THRESHOLD", "value": ""},
                      form_page="/admin/parameters").status_code == 302
    assert 'data-parameter="LOCKOUT_THRESHOLD" data-source="default"' in admin.get("/admin/parameters").get_data(
        as_text=True)


def test_a_deadline_rule_set_by_the_system_admin_counts_the_next_petition(app, factory):
    from core import parameters

    factory.account("pa-sys", platform_role="system")
    admin = Browser(app, factory)
    admin.login("pa-sys")
    assert admin.post("/admin/parameters", {"key": "PETITION_HANDLING_WORKDAYS", "value": "20"},
                      form_page="/admin/parameters").status_code == 302
    with app.test_request_context():
        assert parameters.get("PETITION_HANDLING_WORKDAYS") == 20
        today = calendar.today()
        assert calendar.add_workdays(today, parameters.get("PETITION_HANDLING_WORKDAYS")) < calendar.add_workdays(
            today, 40)
    page = admin.get("/admin/parameters").get_data(as_text=True)
    assert 'data-parameter="LOCKOUT_THRESHOLD"' not in page  # the security admin's


def test_a_parameter_pinned_in_the_environment_wins_and_cannot_be_changed(app, factory, monkeypatch):
    factory.account("pa-sys2", platform_role="system")
    monkeypatch.setenv("QINGLIAN_EXPORT_KEEP_DAYS", "7")
    admin = Browser(app, factory)
    admin.login("pa-sys2")
    page = admin.get("/admin/parameters").get_data(as_text=True)
    assert 'data-parameter="EXPORT_KEEP_DAYS" data-source="env"' in page and "环境变量" in page
    refused = admin.post("/admin/parameters", {"key": "EXPORT_KEEP_DAYS", "value": "30"}, form_page="/admin/parameters")
    assert refused.status_code == 422 and "QINGLIAN_EXPORT_KEEP_DAYS" in refused.get_data(as_text=True)


def test_only_the_two_admins_reach_the_page(app, factory):
    tree = factory.tree()
    factory.account("pa-aud", platform_role="audit")
    factory.account("pa-leader", [(tree.province, "leader")])
    for username in ("pa-aud", "pa-leader"):
        browser = Browser(app, factory)
        browser.login(username)
        assert browser.get("/admin/parameters").status_code == 404, username
