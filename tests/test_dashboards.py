"""Dashboards (/u/<unit>/reporting): the figures equal the roll-ups, drill down level by level to a
township, answer 404 beyond the reader's subtree (or beyond its own unit for officers), say a bad period
in Chinese, and show numbers only — never a lower unit's records."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest

from core import context
from core.extensions import db

ACCUSED = "钱秘密"  # a record's content: must never appear on a dashboard


def run(app, fn):
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            result = fn()
            db.session.commit()
            return result


def _petition(unit, received_on: date, n: int):
    from core.petitions import operations as petition_ops

    return petition_ops.register_petition(unit, dict(
        channel="letter", anonymous=False, accused_name=f"{ACCUSED}{n}", accused_position="村委委员",
        accused_work_unit="某村", accused_level="village", summary=f"反映{ACCUSED}{n}优亲厚友问题",
        received_on=received_on, informant={"name": "举报人", "phone": "13800000000"}))


def seed_figures(tree) -> int:
    """Petitions in the townships (one three weeks ago), clearing stages and a clearing this day, and a
    zeroing campaign of the province in its second phase, with moves in the first and second phases.
    Runs in the maintenance context; returns the campaign's id."""
    from core import calendar
    from core.directives import operations as directive_ops
    from core.zeroing.models import PURPOSE
    from tenants.models import Unit
    from tenants.operations import bump_stat

    today = calendar.today()
    units = {name: db.session.get(Unit, getattr(tree, name)) for name in ("province", "town", "town2",
                                                                         "other_town", "county")}
    for n, (name, days) in enumerate([("town", 0), ("town", 1), ("town2", 0), ("other_town", 0),
                                      ("other_town", 21)]):
        _petition(units[name], today - timedelta(days=days), n)
    bump_stat(units["town"], "clearing.state.applied", 2)
    bump_stat(units["town2"], "clearing.state.reviewed", 1)
    bump_stat(units["county"], "clearing.state.assessed", 1)
    bump_stat(units["town"], "clearing.cleared_persons", 1, today.isoformat())
    campaign = directive_ops.send_directive(
        units["province"], title="测试省积案动态清零", kind="campaign", audience={"mode": "all"},
        purpose=PURPOSE, phases=[
            {"name": "集中排查", "starts_on": today - timedelta(days=30), "ends_on": today - timedelta(days=11)},
            {"name": "动态清零", "starts_on": today - timedelta(days=10), "ends_on": today + timedelta(days=10)},
            {"name": "回头看", "starts_on": today + timedelta(days=11), "ends_on": today + timedelta(days=40)}])
    bump_stat(units["town"], f"zeroing.{campaign.id}.added", 4, (today - timedelta(days=20)).isoformat())
    bump_stat(units["town"], f"zeroing.{campaign.id}.stock", 3)
    bump_stat(units["town"], f"zeroing.{campaign.id}.closed_out", 1, (today - timedelta(days=5)).isoformat())
    return campaign.id


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("p-leader", [(tree.province, "leader")])
    factory.account("k-analyst", [(tree.county, "analyst")])
    factory.account("k-officer", [(tree.county, "officer")])
    return tree, run(app, lambda: seed_figures(tree))


def _rollup(app, unit_id, period="month", keys=None):
    from reporting import rollups
    from reporting.periods import parse_period
    from tenants.models import Unit

    def read():
        return rollups.rollup(db.session.get(Unit, unit_id), parse_period(period), keys).values

    return run(app, read)


def _cards(body: str) -> dict[str, str]:
    """The headline cards as shown: {figure key: the number's text}."""
    return {key: unescape(value) for key, value in re.findall(
        r'class="figure"[^>]*data-figure="([^"]+)">.*?<strong data-value>([^<]*)</strong>', body, re.S)}


def _table(body: str, name: str) -> list[list[str]]:
    """A table of the page as rows of cell texts."""
    table = re.search(rf'<table[^>]*data-table="{name}"[^>]*>(.*?)</table>', body, re.S).group(1)
    cells = r"<t[dh][^>]*>(.*?)</t[dh]>"
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(cells, row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]


def _drill_link(body: str, name: str) -> str:
    match = re.search(rf'<a href="([^"]+)" data-drill>{name}</a>', body)
    assert match, f"no drill-down link to {name}"
    return unescape(match.group(1))


def test_province_leader_sees_the_province_figures_of_the_rollups(app, world, browser):
    from reporting.dashboards.panels import display
    from reporting.figures import HEADLINE

    tree, _campaign = world
    browser.login("p-leader")
    response = browser.get(f"/u/{tree.province}/reporting")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    expected = _rollup(app, tree.province)
    cards = _cards(body)
    assert set(cards) == set(HEADLINE)
    assert cards == {key: display(key, expected[key]) for key in HEADLINE}
    # What was seeded, as a person reads it: 5 petitions in hand, 4 clearings in progress and one cleared,
    # 1 of 3 units covered (甲市 has the clearing; 乙市 and the province's own level none).
    assert cards["petitions.open"] == "5"
    assert cards["clearing.in_progress"] == "4"
    assert cards["clearing.cleared"] == "1"
    assert cards["zeroing.progress"] == "25.0%"
    assert 'data-uncovered>乙市、测试省本级<' in body and 'data-covered>甲市<' in body
    # The charts' data and the tables beside them: the same numbers.
    charts = re.search(r'<script type="application/json" id="dashboard-charts">(.*?)</script>', body, re.S)
    data = json.loads(charts.group(1))
    assert set(data) == {"trend", "stages", "ranking", "gauge", "phases"}
    assert data["gauge"]["value"] == 25.0
    stage_rows = _table(body, "stages")
    assert [row[0] for row in stage_rows[1:]] == ["甲市", "乙市", "测试省本级"]
    assert data["stages"]["categories"] == ["甲市", "乙市", "测试省本级"]
    applied = [s for s in data["stages"]["series"] if s["name"] == "待评估"][0]["values"]
    assert applied == [2, 0, 0] and [row[1] for row in stage_rows[1:]] == ["2", "0", "0"]
    # The trend: received per ISO week, this week's row last, the one three weeks ago three rows up.
    from core import calendar
    from reporting.periods import week_of

    today = calendar.today()
    trend = {row[0]: row[1] for row in _table(body, "trend")[1:]}
    assert len(trend) == 12 and list(trend)[-1] == week_of(today).key
    this_week = sum(1 for days in (0, 1, 0, 0) if week_of(today - timedelta(days=days)) == week_of(today))
    assert trend[week_of(today).key] == str(this_week)
    assert trend[week_of(today - timedelta(days=21)).key] == "1"
    # The campaign: closed out 1 of 4 taken in; per phase: taken in during the first, closed out in the second.
    phases = _table(body, "phases")
    assert [row[0] for row in phases[1:]] == ["集中排查", "动态清零 当前阶段", "回头看"]
    assert phases[1][2:] == ["4", "0", "0"] and phases[2][2:] == ["0", "1", "0"]
    assert phases[3][2:] == ["未开始"] * 3
    assert ACCUSED not in body


def test_a_transition_in_a_township_shows_on_the_province_dashboard_on_reload(app, world, browser):
    from core import calendar
    from tenants.models import Unit

    tree, _campaign = world
    browser.login("p-leader")
    before = _cards(browser.get(f"/u/{tree.province}/reporting?period=week").get_data(as_text=True))
    run(app, lambda: _petition(db.session.get(Unit, tree.town2), calendar.today(), 99))
    after = _cards(browser.get(f"/u/{tree.province}/reporting?period=week").get_data(as_text=True))
    assert int(after["petitions.received"]) == int(before["petitions.received"]) + 1
    assert int(after["petitions.open"]) == int(before["petitions.open"]) + 1


def test_drill_down_level_by_level_to_a_township(app, world, browser):
    from reporting.dashboards.panels import display

    tree, _campaign = world
    browser.login("p-leader")
    body = browser.get(f"/u/{tree.province}/reporting?rank_by=petitions.open").get_data(as_text=True)
    # Each figure links to the children's table sorted on it.
    assert f'href="/u/{tree.province}/reporting?period=' in body and "rank_by=clearing.cleared#children" in body
    rows = _table(body, "children")
    # Fewer petitions in hand ranks better: 乙市 (2) before 甲市 (3); the province's own level unranked, last.
    assert [row[:2] for row in rows[1:]] == [["1", "乙市"], ["2", "甲市"], ["", "测试省本级"]]
    assert [row[rows[0].index("在办")] for row in rows[1:]] == ["2", "3", "0"]
    for name, path in (("甲市", ["测试省", "甲市"]), ("甲县", ["测试省", "甲市", "甲县"]),
                       ("东镇", ["测试省", "甲市", "甲县", "东镇"])):
        response = browser.get(_drill_link(body, name))
        assert response.status_code == 200, name
        body = response.get_data(as_text=True)
        crumbs = re.search(r"<nav class=\"breadcrumb\".*?</nav>", body, re.S).group(0)
        assert re.findall(r">([^<>\s›]+)</(?:a|span)>", crumbs) == path
        assert "rank_by=petitions.open" in body  # the ranking figure is kept on the way down
    assert re.search(r"<h1[^>]*>东镇 · 统计分析</h1>", body)
    expected = _rollup(app, tree.town)
    cards = _cards(body)
    assert cards["petitions.open"] == display("petitions.open", expected["petitions.open"]) == "2"
    assert cards["clearing.in_progress"] == "2"
    # A township has no children: no ranking nor children's table, and its figures link nowhere.
    assert 'data-table="children"' not in body and 'data-chart="ranking"' not in body
    assert "<a class=\"figure\"" not in body
    # Back up by the breadcrumb to the county.
    county = re.search(r'<a href="([^"]+)">甲县</a>', body).group(1)
    assert browser.get(unescape(county)).status_code == 200
    assert ACCUSED not in body


def test_county_analyst_reads_its_subtree_only(app, world, browser):
    tree, _campaign = world
    browser.login("k-analyst")
    own = browser.get(f"/u/{tree.county}/reporting")
    assert own.status_code == 200
    assert [row[1] for row in _table(own.get_data(as_text=True), "children")[1:]] == ["东镇", "西镇", "甲县本级"]
    assert browser.get(f"/u/{tree.county}/reporting/units/{tree.town2}").status_code == 200
    for target in (tree.other_county, tree.other_town, tree.province, tree.city, 999_999):
        response = browser.get(f"/u/{tree.county}/reporting/units/{target}")
        assert response.status_code == 404, target
        assert "乙县" not in response.get_data(as_text=True)
    for unit in (tree.province, tree.other_county):
        assert browser.get(f"/u/{unit}/reporting").status_code == 404
        assert browser.get(f"/u/{unit}/reporting/units/{unit}").status_code == 404


def test_officer_sees_its_own_unit_without_drill_down(app, world, browser):
    from reporting.dashboards.panels import display

    tree, _campaign = world
    browser.login("k-officer")
    response = browser.get(f"/u/{tree.county}/reporting")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _cards(body)["petitions.open"] == display("petitions.open", _rollup(app, tree.county)["petitions.open"])
    # Its own unit's figures only: no child named, no ranking, no figure linking to a breakdown.
    assert 'data-table="children"' not in body and 'data-chart="stages"' not in body
    assert "东镇" not in body and "西镇" not in body and "<a class=\"figure\"" not in body
    for target in (tree.town, tree.town2, tree.city):
        assert browser.get(f"/u/{tree.county}/reporting/units/{target}").status_code == 404


def test_roles_without_rollups_get_404(app, world, factory, browser):
    tree, _campaign = world
    factory.account("k-unitadmin", [(tree.county, "unit_admin")])
    browser.login("k-unitadmin")
    assert browser.get(f"/u/{tree.county}/reporting").status_code == 404


@pytest.mark.parametrize("query, message", [
    ("period=2026-13", "统计周期无效"),
    ("period=bogus", "统计周期无效"),
    ("since=2026-11-20&until=2026-11-01", "结束日期不能早于开始日期"),
    ("since=2026-11-20", "自定义区间请同时填写开始日期和结束日期"),
    ("rank_by=nothing.such", "未知指标：nothing.such"),
])
def test_bad_input_is_said_in_chinese_on_the_page(app, world, browser, query, message):
    tree, _campaign = world
    browser.login("p-leader")
    response = browser.get(f"/u/{tree.province}/reporting?{query}")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    errors = re.search(r'<div class="errors" role="alert">(.*?)</div>', body, re.S).group(1)
    assert message in unescape(errors)
    assert "data-figure=" in body  # the page still shows this month's figures


def test_a_custom_range_and_a_period_key(app, world, browser):
    from core import calendar
    from reporting.dashboards.panels import display

    tree, _campaign = world
    today = calendar.today()
    since = (today - timedelta(days=25)).isoformat()
    browser.login("p-leader")
    body = browser.get(f"/u/{tree.province}/reporting?since={since}&until={today.isoformat()}").get_data(as_text=True)
    assert f"{since}至{today.isoformat()}" in body
    expected = _rollup(app, tree.province, f"{since}..{today.isoformat()}")
    assert _cards(body)["petitions.received"] == display("petitions.received", expected["petitions.received"]) == "5"
    year = browser.get(f"/u/{tree.province}/reporting?period={today.year}").get_data(as_text=True)
    assert f"{today.year}年" in year


def test_the_workspace_menu_links_the_dashboard_for_those_who_may_read_figures(app, world, browser):
    tree, _campaign = world
    browser.login("k-officer")
    home = browser.get(f"/u/{tree.county}/").get_data(as_text=True)
    assert f'<a href="/u/{tree.county}/reporting">统计分析</a>' in home


def test_last_weeks_bulletin_links_from_the_dashboard(app, world, browser):
    """The latest published weekly and monthly bulletins (通报) of the unit, on its own dashboard and on its
    children's one level down (they are published to the parent), for those who read its children."""
    from reporting.bulletins import operations as bulletin_ops
    from tenants.models import Unit

    tree, _campaign = world

    def publish():
        ids = {}
        for name in ("province", "city", "county"):
            unit = db.session.get(Unit, getattr(tree, name))
            ids[name] = bulletin_ops.build(unit, "weekly", bulletin_ops.period_of("weekly"))[0].id
        return ids

    ids = run(app, publish)
    browser.login("p-leader")
    body = browser.get(f"/u/{tree.province}/reporting").get_data(as_text=True)
    panel = re.search(r"<section[^>]*data-bulletins>(.*?)</section>", body, re.S).group(1)
    link = f'/u/{tree.province}/bulletins/{ids["province"]}'
    assert f'href="{link}"' in panel and "测试省" in panel and "周通报" in panel
    assert browser.get(link).status_code == 200
    city = browser.get(f"/u/{tree.province}/reporting/units/{tree.city}").get_data(as_text=True)
    assert f'href="/u/{tree.province}/bulletins/{ids["city"]}"' in city
    # A county's bulletin is published to the county and its city, not to the province: no panel there.
    county = browser.get(f"/u/{tree.province}/reporting/units/{tree.county}").get_data(as_text=True)
    assert "data-bulletins" not in county and f"/bulletins/{ids['county']}" not in county
    # An officer reads no ranking of children, so no bulletin either.
    browser.logout()
    browser.login("k-officer")
    assert "data-bulletins" not in browser.get(f"/u/{tree.county}/reporting").get_data(as_text=True)
