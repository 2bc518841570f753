"""The client address (audit trail, login rate limit) comes from X-Forwarded-For only through a listed proxy, and
no export turns a value into a live formula."""
from __future__ import annotations

import io
import ipaddress

from openpyxl import load_workbook

FORGED = "=2+5*7"  # what a spreadsheet would compute, were it a formula


def _login_addresses(app, username):
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        return [a for a in db.session.scalars(db.select(AuditEvent.address).where(
            AuditEvent.action == "login", AuditEvent.account_name == username))]


def _trust(app, networks):
    from core.proxies import TrustedProxies

    middleware = app.wsgi_app
    while not isinstance(middleware, TrustedProxies):
        middleware = middleware.app if hasattr(middleware, "app") else middleware.direct
    previous, middleware.networks = middleware.networks, tuple(ipaddress.ip_network(n) for n in networks)
    return middleware, previous


def test_a_direct_client_cannot_forge_its_address(app, browser, factory):
    factory.account("li", [(factory.tree().town, "officer")])
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    browser.login("li")
    assert _login_addresses(app, "li") == ["127.0.0.1"]


def test_a_listed_proxy_passes_the_client_address_and_the_audit_export_keeps_it_as_text(app, browser, factory):
    factory.account("li", [(factory.tree().town, "officer")])
    factory.account("audit", platform_role="audit")
    middleware, previous = _trust(app, ["127.0.0.1/32"])
    try:
        browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
        browser.login("li")
        assert _login_addresses(app, "li") == ["198.51.100.7"]
        browser.logout()
        # A proxy passes on whatever the client put first; only the last hop is believed, so a forged value
        # reaches the trail only as the proxy's own view — here we make the proxy hand over a formula.
        browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = FORGED
        browser.login("li")
    finally:
        middleware.networks = previous
        browser.client.environ_base.pop("HTTP_X_FORWARDED_FOR", None)
    browser.logout()
    browser.login("audit")
    export = browser.get("/admin/audit?format=xlsx&account=li")
    assert export.status_code == 200
    cells = [cell for row in load_workbook(io.BytesIO(export.data)).active.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(cell.value == FORGED for cell in cells)
