"""登录日志 (issue 23): every login attempt with its result and reason (bad password, locked, second factor failed,
expired password), address and browser, from the audit trail; filters and the xlsx for the audit admin; the
security admin sees the failures and the locked accounts and lifts a lock there; everyone else gets 404."""
from __future__ import annotations

import io

import pyotp
from openpyxl import load_workbook

from tests.conftest import PASSWORD, Browser

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


def test_the_login_log_shows_each_attempt_with_its_reason(app, factory):
    tree = factory.tree()
    factory.account("ll-officer", [(tree.town, "officer")])
    factory.account("ll-aud", platform_role="audit")
    factory.account("ll-sec", platform_role="security")
    app.config["LOCKOUT_THRESHOLD"], threshold = 3, app.config["LOCKOUT_THRESHOLD"]
    try:
        stranger = Browser(app, factory)
        stranger.client.environ_base["HTTP_USER_AGENT"] = CHROME
        stranger.post("/login", {"username": "ll-officer", "password": "wrong-one"})
        stranger.post("/login", {"username": "nobody-here", "password": "wrong-one"})
        officer = Browser(app, factory)
        officer.client.environ_base["HTTP_USER_AGENT"] = CHROME
        assert officer.login("ll-officer").status_code == 302
        for _ in range(3):
            stranger.post("/login", {"username": "ll-officer", "password": "wrong-again"})
        assert stranger.post("/login", {"username": "ll-officer", "password": PASSWORD}).status_code != 302
    finally:
        app.config["LOCKOUT_THRESHOLD"] = threshold

    auditor = Browser(app, factory)
    auditor.login("ll-aud")
    page = auditor.get("/admin/logins?account=ll-officer")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in ("密码错误", "账户已锁定", "连续失败达到上限，账户锁定", "成功", "失败", "谷歌浏览器（Linux）", "127.0.0.1"):
        assert shown in text, shown
    assert "Mozilla" not in text and "None" not in text and "nobody-here" not in text
    everyone = auditor.get("/admin/logins").get_data(as_text=True)
    assert "用户名不存在" in everyone and "nobody-here" in everyone  # the name typed, as the audit kept it
    failures = auditor.get("/admin/logins?account=ll-officer&outcome=denied").get_data(as_text=True)
    assert 'data-login-ok="1"' not in failures and 'data-login-ok="0"' in failures
    assert 'data-login-ok' not in auditor.get("/admin/logins?address=10.99.").get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(auditor.get("/admin/logins?format=xlsx&account=ll-officer").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间", "账户", "环节", "结果") and any(r[4] == "密码错误" for r in rows[1:])
    assert "解除锁定" not in text  # the audit admin reads; the security admin unlocks

    security = Browser(app, factory)
    security.login("ll-sec")
    page = security.get("/admin/logins").get_data(as_text=True)
    assert 'data-locked-account="ll-officer"' in page and 'data-login-ok="1"' not in page
    assert security.get("/admin/logins?format=xlsx").headers["Content-Type"].startswith("text/html")  # no export
    assert security.post(f"/admin/logins/unlock/{_account_id(app, 'll-officer')}", {},
                         form_page="/admin/logins").status_code == 302
    assert 'data-locked-account="ll-officer"' not in security.get("/admin/logins").get_data(as_text=True)
    assert Browser(app, factory).login("ll-officer").status_code == 302


def test_a_failed_second_factor_is_logged_with_its_reason(app, factory):
    factory.account("ll-sys", platform_role="system")
    factory.account("ll-aud2", platform_role="audit")
    browser = Browser(app, factory)
    browser.post("/login", {"username": "ll-sys", "password": PASSWORD})
    browser.post("/login/second-factor", {"code": "000000" if pyotp.TOTP(factory.totp["ll-sys"]).now() != "000000"
                                          else "111111"})
    auditor = Browser(app, factory)
    auditor.login("ll-aud2")
    text = auditor.get("/admin/logins?account=ll-sys").get_data(as_text=True)
    assert "动态口令验证" in text and "动态口令错误" in text and "密码正确，待验证动态口令" in text


def test_only_the_audit_and_security_admins_reach_the_login_log(app, factory):
    tree = factory.tree()
    factory.account("ll-sys3", platform_role="system")
    factory.account("ll-leader", [(tree.province, "leader")])
    for username in ("ll-sys3", "ll-leader"):
        browser = Browser(app, factory)
        browser.login(username)
        assert browser.get("/admin/logins").status_code == 404, username


def _account_id(app, username: str) -> int:
    from sqlalchemy import select

    from core import context
    from core.extensions import db
    from core.identity.models import Account

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.scalar(select(Account.id).where(Account.username == username))
