"""Links lead to pages that open: on the pages where links pointed at 404s (issue 17, items 3 and 7) — the
zones' pages (a zone, its meetings, rounds and terms, the grants) and a petition found unfounded, whose
candidate went to the clearing pool — every link, followed as the same account of the demo, answers.

A link is shown only where the access decision guarding its target allows it (``tenants.access``); a page
that shows a link its reader cannot follow fails here, for each role of the demo.
"""
from __future__ import annotations

import html
import re

from sqlalchemy import text

from tests.conftest import Browser

# One account per role (README's table) at the county running the zones and at its townships, and the
# townships' staff the zones' grants and rounds name.
ACCOUNTS = ["county-leader", "county-officer", "county-reviewer", "county-caseadmin", "county-unitadmin",
            "county-analyst", "town-leader", "town-officer", "town-intake", "town-unitadmin", "other-town-officer",
            "xinqiao-leader", "shiqiao-officer", "longtan-officer"]
HREF = re.compile(r'<a\s[^>]*href="([^"#]+)"')
SKIP = re.compile(r"^/static/|/logout$|[?&]lang=")


def _demo(app, factory, owner_engine) -> dict:
    """``flask demo``, plus an analyst of 松林县 (the demo has analysts at the province only); the unfounded
    petitions whose candidates went to the pool, by unit."""
    from tenants.demo import DEMO_PASSWORD

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with owner_engine.begin() as conn:
        county = conn.scalar(text("SELECT id FROM units WHERE code = '990121'"))
        pooled = conn.execute(text(
            "SELECT p.unit_id, p.id FROM petitions p JOIN clearing_candidates c ON c.petition_id = p.id"
            " WHERE p.unit_path LIKE (SELECT path FROM units WHERE id = :county) || '%'"), {"county": county}).all()
    factory.account("county-analyst", [(county, "analyst")], password=DEMO_PASSWORD)
    return {"pooled": pooled}


def _pages_of(account_units: list[int], pooled) -> list[str]:
    """The pages of the account where the links are checked: its zones' pages (reached from the zones page
    and the grants page, as far as they lead within the zones) and its units' pooled petitions."""
    start = [f"/u/{u}/zones" for u in account_units] + [f"/u/{u}/zones/grants" for u in account_units]
    start += [f"/u/{unit}/petitions/{petition}" for unit, petition in pooled if unit in account_units]
    return start


def _links(page: str) -> list[str]:
    return [href for href in (html.unescape(h) for h in HREF.findall(page))
            if href.startswith("/") and not href.startswith("//") and not SKIP.search(href)]


def test_every_link_on_the_zones_and_pooled_petition_pages_opens_for_each_role(app, factory, owner_engine):
    from tenants.demo import DEMO_PASSWORD

    demo = _demo(app, factory, owner_engine)
    broken, followed, pages_read = [], 0, 0
    for username in ACCOUNTS:
        with owner_engine.connect() as conn:
            units = list(conn.scalars(text(
                "SELECT m.unit_id FROM memberships m JOIN accounts a ON a.id = m.account_id"
                " WHERE a.username = :u AND m.ended_at IS NULL"), {"u": username}))
        browser = Browser(app, factory)
        assert browser.login(username, DEMO_PASSWORD).status_code == 302, username
        queue, seen, checked = _pages_of(units, demo["pooled"]), set(), set()
        while queue:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = browser.get(url)
            if response.status_code != 200:
                continue  # a page the role does not reach (its menu does not offer it)
            pages_read += 1
            for href in _links(response.get_data(as_text=True)):
                if href in checked:
                    continue
                checked.add(href)
                followed += 1
                status = browser.get(href).status_code
                if status == 404 or status >= 500:
                    broken.append(f"{username}: {url} -> {href} ({status})")
                if "/zones/" in href.split("?")[0] and status == 200:
                    queue.append(href)  # the zones' pages lead on to meetings, rounds, terms
    assert not broken, "\n".join(broken)
    assert pages_read > 40 and followed > 200, (pages_read, followed)
