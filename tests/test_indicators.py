"""Indicators: the province defines a weighted formula over the figures; every unit below is scored and
its children ranked on it, from the roll-ups only."""
from __future__ import annotations

import re
from datetime import date

from core import context
from core.extensions import db
from tests.conftest import Browser


def _figures(app, tree):
    """Clearing figures this year: 东镇 cleared 2 (both on time) of 2 planned visits done 4 of 8;
    西镇 cleared 1 late, no visits done; the county itself nothing."""
    from core import calendar
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    day = calendar.today().replace(day=1).isoformat()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town, town2 = db.session.get(Unit, tree.town), db.session.get(Unit, tree.town2)
        for unit, cleared, on_time, done, due in ((town, 2, 2, 4, 4), (town2, 1, 0, 0, 4)):
            tenancy_ops.bump_stat(unit, "clearing.cleared_persons", cleared)
            tenancy_ops.bump_stat(unit, "clearing.cleared_persons", cleared, day)
            if on_time:
                tenancy_ops.bump_stat(unit, "clearing.cleared_on_time", on_time)
                tenancy_ops.bump_stat(unit, "clearing.cleared_on_time", on_time, day)
            tenancy_ops.bump_stat(unit, "clearing.visits_done", done)
            tenancy_ops.bump_stat(unit, "clearing.visits_due", due)
        db.session.commit()


def _login(app, factory, username) -> Browser:
    browser = Browser(app, factory)
    assert browser.login(username).status_code == 302
    return browser


def test_the_province_defines_an_indicator_and_a_county_sees_its_townships_scored_and_ranked(app, factory):
    tree = factory.tree()
    factory.account("prov-leader", [(tree.province, "leader")])
    factory.account("county-leader", [(tree.county, "leader")])
    factory.account("county-officer", [(tree.county, "officer")])
    _figures(app, tree)

    province = _login(app, factory, "prov-leader")
    # Bad input: a count without a target, weights out of range; the form comes back with what was typed.
    bad = province.post(f"/u/{tree.province}/indicators/new", {
        "name": "保护党员干部担当干事激情", "period_kind": "year",
        "figure_0": "clearing.coverage", "weight_0": "40", "figure_1": "clearing.cleared", "weight_1": "30",
        "figure_2": "clearing.visit_rate", "weight_2": "300"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "是计数，须填目标值" in page and "权重应为 0 到 100 之间的数" in page
    assert 'value="保护党员干部担当干事激情"' in page
    made = province.post(f"/u/{tree.province}/indicators/new", {
        "name": "保护党员干部担当干事激情", "period_kind": "year",
        "figure_0": "clearing.coverage", "weight_0": "40", "figure_1": "clearing.timeliness", "weight_1": "30",
        "figure_2": "clearing.visit_rate", "weight_2": "30"})
    assert made.status_code == 302

    county = _login(app, factory, "county-leader")
    page = county.get(f"/u/{tree.county}/indicators").get_data(as_text=True)
    ranking = page[page.index("data-indicator-ranking"):]
    rows = re.findall(r"<tr><td>(\d+|—)</td>\s*<td>([^<]+)</td>\s*<td><strong>([\d.]+)</strong>", ranking)
    # 东镇: coverage 100 (it cleared), timeliness 100, visits 50 -> 85.0; 西镇: 100, 0, 0 -> 40.0;
    # the county's own level cleared nothing: coverage 0, no timeliness or visit figures -> 0.
    assert rows == [("1", "东镇", "85.0"), ("2", "西镇", "40.0"), ("—", "甲县本级", "0.0")]
    # The county's own score: coverage 2 of 3 (两镇 + 本级), timeliness 2 of 3, visits 4 of 12.
    assert re.search(r"data-indicator-score>(\d+\.\d)<", page).group(1) == str(round(
        0.4 * 66.7 + 0.3 * 66.7 + 0.3 * 33.3, 1))
    # A county may not define one (404), nor edit the province's.
    assert county.get(f"/u/{tree.county}/indicators/new").status_code == 404
    assert county.get(f"/u/{tree.county}/indicators/1/edit").status_code == 404

    officer = _login(app, factory, "county-officer")
    page = officer.get(f"/u/{tree.county}/indicators").get_data(as_text=True)
    assert "data-indicator-score" in page and "data-indicator-ranking" not in page

    # Archiving removes it below at once.
    archived = province.post(f"/u/{tree.province}/indicators/1/archive", form_page=f"/u/{tree.province}/indicators")
    assert archived.status_code == 302
    assert "尚未设定考核指标" in county.get(f"/u/{tree.county}/indicators").get_data(as_text=True)


def test_term_scores_follow_each_figures_direction():
    from reporting.indicators.operations import term_score

    assert term_score({"figure": "clearing.coverage", "target": None}, 87.5) == 87.5
    assert term_score({"figure": "clearing.cleared", "target": 20}, 10) == 50.0
    assert term_score({"figure": "clearing.cleared", "target": 20}, 30) == 100.0
    assert term_score({"figure": "petitions.overdue", "target": 10}, 0) == 100.0
    assert term_score({"figure": "petitions.overdue", "target": 10}, 4) == 60.0
    assert term_score({"figure": "petitions.overdue", "target": 10}, 15) == 0.0
    assert term_score({"figure": "clearing.timeliness", "target": None}, None) == 0.0
    assert date.today()  # scores need no clock
