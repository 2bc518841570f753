"""Every path in passes the same gates: a bearer header counts only when its token is valid, a half-finished login
(password only, temporary password) is served nothing whatever headers it adds, and a reset or a lock reaches the
account's API tokens at once."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, bearer

FAKE_BEARERS = ["Bearer x", "Bearer ", "Bearer ql_not-a-real-token"]


def _account_id(app, username):
    with app.app_context():
        from core.extensions import db
        from core.identity.models import Account

        return db.session.scalar(db.select(Account.id).where(Account.username == username))


def _get_routes(app, args):
    """Every GET route of the URL map that takes only the parameters given."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and set(rule.arguments) <= set(args):
            yield rule.endpoint, rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("header", FAKE_BEARERS)
def test_password_only_session_gets_nothing_with_a_bearer_header(app, browser, factory, header):
    """secadmin with the password alone (no one-time code yet) read /admin/accounts and unlocked accounts."""
    tree = factory.tree()
    victim = factory.account("li", [(tree.town, "officer")])
    factory.account("sec", platform_role="security", totp=True)
    response = browser.login("sec", second_factor=False)
    assert response.location.endswith("/login/second-factor")
    extra = {"Authorization": header}
    args = {"unit_id": tree.town, "account_id": victim, "membership_id": 1, "token_id": 1}
    served = []
    for endpoint, path in _get_routes(app, args):
        if endpoint in {"health.healthz", "auth.login", "auth.second_factor", "auth.enrol_totp",
                        "auth.change_password", "api.openapi_json", "dashboards.static"}:
            continue
        status = browser.get(path, headers=extra).status_code
        if status == 200:
            served.append(path)
    assert served == []
    unlock = browser.client.patch(f"/api/v1/accounts/{victim}", json={"action": "unlock"}, headers=extra)
    assert unlock.status_code == 401
    # Without the header the same session is still held at the second factor.
    assert browser.get("/admin/accounts").location.endswith("/login/second-factor")


def test_temporary_password_cannot_be_used_through_any_header(app, browser, factory):
    unit = factory.tree().town
    account = factory.account("wang", [(unit, "officer")])
    with app.app_context():
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.identity.models import Account

        identity_ops.reset_password(db.session.get(Account, account))
        temporary = "Temporary-Pass-1"
        row = db.session.get(Account, account)
        from core.identity import passwords

        row.password_hash = passwords.hash_password(temporary)
        db.session.commit()
    browser.login("wang", password=temporary)
    for header in FAKE_BEARERS:
        page = browser.get(f"/u/{unit}/", headers={"Authorization": header})
        assert page.status_code in (302, 401) and page.status_code != 200
        assert browser.client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401


def test_a_bogus_bearer_header_does_not_switch_off_the_api_csrf_check(app, browser, factory):
    unit = factory.tree().town
    factory.account("zhou", [(unit, "officer")])
    browser.login("zhou")
    assert browser.client.get("/api/v1/me").status_code == 200  # the cookie alone works for reads
    # A write with the cookie and a made-up token, no CSRF token: neither passes for it.
    response = browser.client.post("/api/v1/auth/tokens", json={}, headers={"Authorization": "Bearer x"})
    assert response.status_code in (401, 405)
    response = browser.client.delete("/api/v1/auth/tokens/1", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    # A valid token is judged by itself, not by the cookie beside it.
    headers = bearer(app, "zhou")
    assert browser.client.get("/api/v1/me", headers=headers).get_json()["username"] == "zhou"


def test_a_password_reset_revokes_the_accounts_tokens(app, factory):
    unit = factory.tree().town
    account = factory.account("qian", [(unit, "officer")])
    headers = bearer(app, "qian")
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.identity.models import Account

        identity_ops.reset_password(db.session.get(Account, account))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_lock_suspends_the_tokens_until_unlocked(app, factory):
    unit = factory.tree().town
    factory.account("sun", [(unit, "officer")])
    headers = bearer(app, "sun")
    client = app.test_client()
    for _attempt in range(5):
        client.post("/api/v1/auth/token", json={"username": "sun", "password": "wrong-Password-1"})
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with app.app_context():
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.identity.models import Account

        identity_ops.unlock(db.session.get(Account, _account_id(app, "sun")))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_second_factor_reset_revokes_the_tokens(app, factory):
    factory.tree()
    account = factory.account("ops", platform_role="system", totp=True)
    import pyotp

    headers = bearer(app, "ops", code=pyotp.TOTP(factory.totp["ops"]).now())
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.identity.models import Account

        identity_ops.remove_totp(db.session.get(Account, account))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_locked_and_wrong_password_read_the_same(browser, factory):
    """The lockout message told that an account exists; now unknown, wrong and locked read alike."""
    factory.account("li", [(factory.tree().town, "officer")])
    unknown = browser.post("/login", {"username": "nobody-here", "password": "wrong-Password-1"})
    for _attempt in range(5):
        wrong = browser.post("/login", {"username": "li", "password": "wrong-Password-1"})
    locked = browser.login("li", PASSWORD)
    assert locked.status_code == 200
    messages = [_flash(r.get_data(as_text=True)) for r in (unknown, wrong, locked)]
    assert messages[0] and messages[0] == messages[1] == messages[2]
    assert "锁定至" not in messages[2]


def _flash(page: str) -> str:
    import re

    found = re.findall(r"用户名或密码错误[^<]*", page)
    return found[0] if found else ""


def test_a_password_only_session_cannot_change_the_password(app, browser, factory):
    """A stolen admin password without the one-time code must not let the thief lock the owner out."""
    factory.tree()
    factory.account("sec", platform_role="security", totp=True)
    browser.login("sec", second_factor=False)
    page = browser.get("/account/password")
    assert page.status_code == 302 and page.location.endswith("/login/second-factor")
    changed = browser.client.post("/account/password", data={
        "csrf_token": browser.csrf("/login/second-factor"), "current_password": PASSWORD,
        "new_password": "Stolen-Password-99", "confirm_password": "Stolen-Password-99"})
    assert changed.status_code == 302 and changed.location.endswith("/login/second-factor")
    other = app.test_client()
    assert other.post("/api/v1/auth/token", json={"username": "sec", "password": "Stolen-Password-99"}
                      ).status_code == 401
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == "login.gate", AuditEvent.outcome == "denied")) >= 1


def test_changing_the_password_ends_the_other_sessions_and_tokens(app, factory):
    from tests.conftest import Browser

    factory.account("zhao", [(factory.tree().town, "officer")])
    first, second = Browser(app, factory), Browser(app, factory)
    first.login("zhao")
    second.login("zhao")
    headers = bearer(app, "zhao")
    changed = second.post("/account/password", {"current_password": PASSWORD, "new_password": "Fresh-Password-88",
                                                "confirm_password": "Fresh-Password-88"})
    assert changed.status_code == 302
    assert second.get("/api/v1/me").status_code == 200  # the session that changed it stays
    assert first.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_a_full_width_code_is_the_same_code_and_other_text_is_no_code(app, browser, factory):
    import pyotp

    factory.tree()
    factory.account("sec", platform_role="security", totp=True)
    browser.login("sec", second_factor=False)
    code = pyotp.TOTP(factory.totp["sec"]).now()
    bogus = browser.post("/login/second-factor", {"code": "一二三四五六"})
    assert bogus.status_code in (200, 422)
    full_width = "".join(chr(0xFF10 + int(d)) for d in code)
    passed = browser.post("/login/second-factor", {"code": full_width})
    assert passed.status_code == 302 and not passed.location.endswith("/login/second-factor")


def test_the_token_endpoint_does_not_confirm_a_password_without_the_code(app, factory):
    factory.tree()
    factory.account("sec", platform_role="security", totp=True)
    client = app.test_client()
    right = client.post("/api/v1/auth/token", json={"username": "sec", "password": PASSWORD})
    wrong = client.post("/api/v1/auth/token", json={"username": "sec", "password": "Wrong-Password-11"})
    assert right.status_code == wrong.status_code == 401
    assert right.get_json() == wrong.get_json()


def test_refused_tokens_and_forged_forms_are_audited(app, browser, factory):
    tree = factory.tree()
    factory.account("li", [(tree.town, "officer")])
    client = app.test_client()
    assert client.get(f"/api/v1/u/{tree.town}/petitions", headers={"Authorization": "Bearer bogus"}
                      ).status_code == 401
    browser.login("li")
    assert browser.client.post(f"/api/v1/u/{tree.town}/petitions", json={}).status_code == 400
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        actions = set(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.outcome == "denied")))
    assert {"api_token.refused", "csrf.refused"} <= actions
