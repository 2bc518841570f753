"""The API's documentation page (/api/v1/docs): Swagger UI from the vendored copy (no CDN), over the app's own
OpenAPI document, for signed-in accounts only, with no inline script (the CSP allows 'self' only)."""
from __future__ import annotations

import re
from pathlib import Path

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
