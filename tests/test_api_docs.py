"""The API's documentation page (/api/v1/docs): Swagger UI from the vendored copy (no CDN), over the app's own
OpenAPI document, for signed-in accounts only, with no inline script (the CSP allows 'self' only)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_browser import _log_in, chromium, live_server, page  # noqa: F401  (fixtures)

STATIC = Path(__file__).resolve().parents[1] / "core" / "static"


def test_a_signed_in_account_reads_the_api_docs_and_an_anonymous_visitor_does_not(app, factory, browser):
    tree = factory.tree()
    factory.account("docs-officer", [(tree.town, "officer")])
    client = app.test_client()
    assert client.get("/api/v1/docs").status_code == 401

    browser.login("docs-officer")
    page = browser.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "接口文档" in html and 'data-spec="/api/v1/openapi.json"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in scripts and "/static/api-docs.js" in scripts
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script under the CSP"
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html  # nothing from outside
    for name in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "api-docs.js"):
        assert (STATIC / name).is_file(), f"{name} missing: `npm ci && npm run vendor` vendors Swagger UI"
        assert browser.get(f"/static/{name}").status_code == 200


@pytest.mark.browser
def test_swagger_ui_draws_the_document_in_chromium_under_the_csp(app, factory, page):
    """In Chromium: the docs page draws every tag's operations from the vendored Swagger UI, with no script error
    and nothing refused by the Content Security Policy (the ``page`` fixture fails on either)."""
    from playwright.sync_api import expect

    tree = factory.tree()
    factory.account("docs-reader", [(tree.town, "officer")])
    _log_in(page, "docs-reader")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .information-container .title")).to_be_visible()
    expect(page.locator(".swagger-ui .opblock-tag-section").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock-tag-section").count() > 10
