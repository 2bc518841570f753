"""在线用户 (issue 23): the security admin sees every live login session (account, the unit it last acted at,
address, browser, login time, last activity), filters them, and ends one or all of an account's with a reason:
the ended session's cookie stops working at once, its bearer tokens too if chosen, every step audited. The other
two admins and every unit role get 404; the page shows no record of casework."""
from __future__ import annotations

import json

from sqlalchemy import select

from core import context
from core.extensions import db
from tests.conftest import Browser, bearer


def _sessions_of(app, username: str) -> list:
    from core.identity.models import Account, LoginSession

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return [(s.id, s.ended_at, s.end_reason, s.last_unit_id) for s in db.session.scalars(
            select(LoginSession).join(Account, Account.id == LoginSession.account_id)
            .where(Account.username == username).order_by(LoginSession.id))]


def test_the_security_admin_ends_a_live_session_and_its_cookie_stops_working(app, factory):
    from core.audit.models import AuditEvent

    tree = factory.tree()
    factory.account("on-officer", [(tree.town, "officer")])
    factory.account("on-sec", platform_role="security")
    officer = Browser(app, factory)
    assert officer.login("on-officer").status_code == 302
    assert officer.get(f"/u/{tree.town}/petitions").status_code == 200
    (session_id, _, _, last_unit), = _sessions_of(app, "on-officer")
    assert last_unit == tree.town
    token = bearer(app, "on-officer")
    client = app.test_client()
    assert client.get(f"/api/v1/u/{tree.town}/petitions", headers=token).status_code == 200

    admin = Browser(app, factory)
    admin.login("on-sec")
    page = admin.get("/admin/sessions")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-session="{session_id}"' in text and "东镇" in text and "127.0.0.1" in text
    assert "None" not in text
    filtered = admin.get("/admin/sessions?account=nobody-like-this").get_data(as_text=True)
    assert f'data-session="{session_id}"' not in filtered and "没有符合条件的在线会话" in filtered
    assert f'data-session="{session_id}"' in admin.get("/admin/sessions?unit=东镇").get_data(as_text=True)
    assert f'data-session="{session_id}"' not in admin.get("/admin/sessions?unit=西镇").get_data(as_text=True)

    # Without a reason: refused in Chinese, the session lives on.
    refused = admin.post("/admin/sessions", {"session_id": session_id, "reason": ""}, form_page="/admin/sessions")
    assert refused.status_code == 422 and "请填写强制退出的理由" in refused.get_data(as_text=True)
    assert officer.get(f"/u/{tree.town}/petitions").status_code == 200

    ended = admin.post("/admin/sessions", {"session_id": session_id, "reason": "账号疑似外借", "tokens": "1"},
                       form_page="/admin/sessions")
    assert ended.status_code == 302
    # The replayed cookie fails at once: the officer is sent to log in; the bearer token is revoked too.
    again = officer.get(f"/u/{tree.town}/petitions")
    assert again.status_code == 302 and "/login" in again.location
    assert client.get(f"/api/v1/u/{tree.town}/petitions", headers=token).status_code == 401
    assert _sessions_of(app, "on-officer")[0][2] == "forced"
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "session.force_end")).one()
        assert event.account_name == "on-sec" and json.loads(event.detail)["reason"] == "账号疑似外借"
    assert f'data-session="{session_id}"' not in admin.get("/admin/sessions").get_data(as_text=True)


def test_all_of_an_accounts_sessions_end_together(app, factory):
    tree = factory.tree()
    factory.account("on-leader", [(tree.county, "leader")])
    factory.account("on-sec2", platform_role="security")
    first, second = Browser(app, factory), Browser(app, factory)
    first.login("on-leader")
    second.login("on-leader")
    account_id = db_account_id(app, "on-leader")
    admin = Browser(app, factory)
    admin.login("on-sec2")
    assert admin.post("/admin/sessions", {"account_id": account_id, "reason": "人员调离", "tokens": "1"},
                      form_page="/admin/sessions").status_code == 302
    assert [s[2] for s in _sessions_of(app, "on-leader")] == ["forced", "forced"]
    for browser in (first, second):
        assert browser.get(f"/u/{tree.county}/petitions").status_code == 302


def db_account_id(app, username: str) -> int:
    from core.identity.models import Account

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.scalar(select(Account.id).where(Account.username == username))


def test_only_the_security_admin_reaches_the_page(app, factory):
    tree = factory.tree()
    factory.account("on-sys", platform_role="system")
    factory.account("on-aud", platform_role="audit")
    factory.account("on-town-leader", [(tree.town, "leader")])
    factory.account("on-analyst", [(tree.province, "analyst")])
    for username in ("on-sys", "on-aud", "on-town-leader", "on-analyst"):
        browser = Browser(app, factory)
        browser.login(username)
        assert browser.get("/admin/sessions").status_code == 404, username
        assert "在线用户" not in browser.get("/admin/").get_data(as_text=True)
