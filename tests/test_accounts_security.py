"""Account security: lockout, password expiry, session timeouts and rotation, 三员, tokens, second factor."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import time_machine

from core.clock import utcnow
from tests.conftest import PASSWORD, bearer


def test_five_failures_lock_the_account_for_fifteen_minutes(browser, factory):
    factory.account("li", [(factory.tree().town, "officer")])
    for _ in range(5):
        response = browser.post("/login", {"username": "li", "password": "wrong-Password-1"})
        assert "用户名或密码错误" in response.get_data(as_text=True)
    response = browser.login("li")  # the right password, but locked
    assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert browser.login("li").status_code == 302


def test_security_admin_unlocks(app, browser, factory):
    factory.account("li", [(factory.tree().town, "officer")])
    factory.account("sec", platform_role="security")
    for _ in range(5):
        browser.post("/login", {"username": "li", "password": "wrong-Password-1"})
    browser.login("sec")
    with app.app_context():
        from core.extensions import db
        from core.identity.models import Account

        li = db.session.scalar(db.select(Account).where(Account.username == "li"))
    assert browser.post(f"/admin/accounts/{li.id}", {"action": "unlock"}).status_code == 302
    browser.logout()
    assert browser.login("li").status_code == 302


def test_initial_and_expired_passwords_must_be_changed_first(app, browser, factory):
    unit = factory.tree().town
    factory.account("wang", [(unit, "officer")])
    with time_machine.travel(utcnow() + timedelta(days=91)):
        browser.login("wang")
        response = browser.get(f"/u/{unit}/")
        assert response.status_code == 302 and response.location.endswith("/account/password")
        weak = browser.post("/account/password", {"current_password": PASSWORD, "new_password": "short",
                                                  "confirm_password": "short"})
        assert weak.status_code == 422 and "至少需要" in weak.get_data(as_text=True)
        ok = browser.post("/account/password", {"current_password": PASSWORD, "new_password": "New-Password-77",
                                                "confirm_password": "New-Password-77"})
        assert ok.status_code == 302
        assert browser.get(f"/u/{unit}/").status_code == 200


def test_idle_and_absolute_timeouts_end_the_session(browser, factory):
    unit = factory.tree().town
    factory.account("zhao", [(unit, "officer")])
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        browser.login("zhao")
        assert browser.get(f"/u/{unit}/").status_code == 200
        clock.move_to(start + timedelta(minutes=31))  # idle past 30 minutes
        assert browser.get(f"/u/{unit}/").status_code == 302
    with time_machine.travel(start + timedelta(hours=1), tick=False) as clock:
        browser.login("zhao")
        # Active every 20 minutes, yet the login ends after 12 hours.
        for step in range(1, 36):
            clock.move_to(start + timedelta(hours=1, minutes=20 * step))
            assert browser.get(f"/u/{unit}/").status_code == 200, step
        clock.move_to(start + timedelta(hours=13, minutes=1))
        assert browser.get(f"/u/{unit}/").status_code == 302


def test_login_rotates_the_session_and_logout_kills_it(app, browser, factory):
    unit = factory.tree().town
    factory.account("sun", [(unit, "officer")])
    browser.get("/login")
    before = browser.client.get_cookie("qinglian_session").value
    browser.login("sun")
    after = browser.client.get_cookie("qinglian_session").value
    assert before != after
    assert browser.get(f"/u/{unit}/").status_code == 200
    browser.logout()
    # Replaying the cookie captured while logged in does not bring the login back.
    replay = app.test_client()
    replay.set_cookie("qinglian_session", after)
    assert replay.get(f"/u/{unit}/").status_code == 302


def test_platform_roles_are_mutually_exclusive_and_hold_no_units(app, factory):
    tree = factory.tree()
    sysadmin = factory.account("sys", platform_role="system")
    officer = factory.account("officer", [(tree.town, "officer")])
    with app.app_context():
        from core import context
        from core.errors import InvalidInput
        from core.extensions import db
        from core.identity.models import Account
        from tenants import operations as ops
        from tenants.models import Unit

        context.activate(context.maintenance_context(), db.session)
        sys_account = db.session.get(Account, sysadmin)
        for attempt in (lambda: ops.set_platform_role(sys_account, "audit"),
                        lambda: ops.add_membership(sys_account, db.session.get(Unit, tree.town), "leader"),
                        lambda: ops.set_platform_role(db.session.get(Account, officer), "security")):
            try:
                attempt()
            except InvalidInput:
                continue
            raise AssertionError("三员 exclusivity not enforced")


def test_admin_second_factor_is_required_and_codes_are_single_use(app, browser, factory):
    factory.account("sys", platform_role="system")
    response = browser.post("/login", {"username": "sys", "password": PASSWORD})
    assert response.location.endswith("/login/second-factor")
    assert browser.get("/admin/units").status_code == 302  # held at the gate
    code = pyotp.TOTP(factory.totp["sys"]).now()
    assert browser.post("/login/second-factor", {"code": code}).status_code == 302
    assert browser.get("/admin/units").status_code == 200
    browser.logout()
    browser.post("/login", {"username": "sys", "password": PASSWORD})
    replayed = browser.post("/login/second-factor", {"code": code})
    assert "已使用" in replayed.get_data(as_text=True)


def test_platform_admin_without_second_factor_must_enrol(browser, factory):
    factory.account("aud", platform_role="audit", totp=False)
    browser.login("aud")
    response = browser.get("/admin/audit")
    assert response.status_code == 302 and response.location.endswith("/account/second-factor")


def test_api_tokens_work_until_revoked(app, factory):
    factory.account("qian", [(factory.tree().town, "officer")])
    headers = bearer(app, "qian")
    client = app.test_client()
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["username"] == "qian"
    token_id = client.get("/api/v1/auth/tokens", headers=headers).get_json()[0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_for_admin_needs_the_one_time_code(app, factory):
    factory.account("sys", platform_role="system")
    client = app.test_client()
    refused = client.post("/api/v1/auth/token", json={"username": "sys", "password": PASSWORD})
    assert refused.status_code == 401 and "code" in refused.get_json()["message"]  # not a hint the password was right
    headers = bearer(app, "sys", code=pyotp.TOTP(factory.totp["sys"]).now())
    assert client.get("/api/v1/units", headers=headers).status_code == 200


def test_forms_without_csrf_token_are_refused(app, factory):
    factory.account("zhou", [(factory.tree().town, "officer")])
    response = app.test_client().post("/login", data={"username": "zhou", "password": PASSWORD})
    assert response.status_code == 400


def test_security_headers(app):
    response = app.test_client().get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
