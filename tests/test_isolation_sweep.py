"""The isolation sweep: every route, as every role of another unit and as anonymous.

Objects of the victim unit (a township) must answer 404 to anyone who may not see them,
401/redirect-to-login to anonymous, and never show the object. Routes are read from the
URL map, so a new route joins the sweep by existing; a new URL parameter must be taught
to ``victim_args`` below or the sweep fails.
"""
from __future__ import annotations

import pytest

from tests.conftest import bearer

PUBLIC_ENDPOINTS = {"static", "health.healthz", "auth.login", "auth.logout", "api.openapi_json", "api.issue_token"}
ROLES = ["leader", "officer", "intake", "reviewer", "case_admin", "analyst", "unit_admin"]


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    victim_account = factory.account("victim-officer", [(tree.town2, "officer")])
    victim_admin = factory.account("victim-unitadmin", [(tree.town2, "unit_admin")])
    attackers = {f"east-{role}": factory.account(f"east-{role}", [(tree.town, role)]) for role in ROLES}
    attackers["other-county-leader"] = factory.account("other-county-leader", [(tree.other_county, "leader")])
    attackers["other-city-analyst"] = factory.account("other-city-analyst", [(tree.other_city, "analyst")])
    with app.app_context():
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.identity.models import Account
        from core import context
        from tenants.models import Membership

        context.activate(context.maintenance_context(), db.session)
        victim_token = identity_ops.issue_token(db.session.get(Account, victim_account)).token.id
        victim_membership = db.session.scalar(db.select(Membership.id).where(Membership.account_id == victim_admin))
        db.session.commit()
    return {
        "tree": tree,
        "attackers": attackers,
        "args": {"unit_id": tree.town2, "membership_id": victim_membership, "account_id": victim_account,
                 "token_id": victim_token},
        "markers": ["西镇", "victim-officer", "victim-unitadmin", "980121002"],
    }


def victim_args(rule, args):
    missing = set(rule.arguments) - set(args)
    assert not missing, f"teach the isolation sweep the URL parameter(s) {missing} of {rule.rule}"
    return {name: args[name] for name in rule.arguments}


def sweep_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def call(client, rule, method, args, headers=None):
    from flask import url_for

    with client.application.test_request_context():
        path = url_for(rule.endpoint, **victim_args(rule, args))
    kwargs = {"headers": headers or {}}
    if rule.rule.startswith("/api/") and method in ("POST", "PATCH"):
        kwargs["json"] = {}
    return client.open(path, method=method, **kwargs)


def test_anonymous_gets_login_or_401_everywhere(app, world):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for rule, method in sweep_rules(app):
            response = call(client, rule, method, world["args"])
            body = response.get_data(as_text=True)
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, (rule.rule, method, response.status_code)
            else:
                assert response.status_code == 302 and "/login" in response.location, (rule.rule, method)
            assert not any(marker in body for marker in world["markers"]), (rule.rule, method)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("via", ["session", "token"])
def test_members_of_other_units_get_404_for_every_object_of_the_victim_unit(app, world, browser, via):
    """Every role of a sibling township, a leader of another county and an analyst of another city."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        checked = 0
        for username in world["attackers"]:
            client = app.test_client()
            headers = None
            if via == "session":
                client.post("/login", data={"username": username, "password": "Correct-Horse-42"})
            else:
                headers = bearer(app, username)
            for rule, method in sweep_rules(app):
                if via == "token" and not rule.rule.startswith("/api/"):
                    continue
                response = call(client, rule, method, world["args"], headers)
                body = response.get_data(as_text=True)
                leaked = [m for m in world["markers"] if m in body]
                assert not leaked, f"{username} {method} {rule.rule} shows {leaked}"
                if rule.arguments:
                    assert response.status_code == 404, f"{username} {method} {rule.rule} -> {response.status_code}"
                checked += 1
        assert checked > 100
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_platform_admins_never_enter_a_unit_workspace(app, world, factory, browser):
    """三员 manage the platform but read no case data: every /u/<unit>/ route is 404 for them."""
    for role in ("system", "security", "audit"):
        factory.account(f"{role}-admin", platform_role=role)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for role in ("system", "security", "audit"):
            client = app.test_client()
            browser.client = client
            browser.login(f"{role}-admin")
            for rule, method in sweep_rules(app):
                if rule.rule.startswith(("/u/", "/api/v1/u/")):
                    assert call(client, rule, method, world["args"]).status_code == 404, (role, rule.rule)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_denied_access_is_audited(app, world, browser):
    browser.login("east-officer")
    assert browser.get(f"/u/{world['tree'].town2}/").status_code == 404
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        denied = db.session.scalars(db.select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert any(e.account_name == "east-officer" and e.object_id == str(world["tree"].town2) for e in denied)


def test_the_victim_unit_sees_its_own_workspace(app, world, browser):
    """The sweep would pass vacuously if nobody could see anything: the owner can."""
    browser.login("victim-unitadmin")
    response = browser.get(f"/u/{world['tree'].town2}/members")
    assert response.status_code == 200
    assert "victim-unitadmin" in response.get_data(as_text=True)
