"""The dashboards' villages panels (清廉村居 and 现场办公会): at a county, the grades by township and the movement between
its last two grading rounds (巩固A类、提升B类、消灭C类), the C villages' plans by township and the on-site meetings'
issues by the township of the meeting and by the township they are registered with; at a city and the province,
the same by child unit from the roll-ups, each level the sum of its children. Numbers only: an analyst reads no
village's name, and a sibling county's numbers stay out."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest

from core import calendar, context
from core.extensions import db
from tests import test_browser

# The browser test's fixtures (a live server, Chromium, a page that fails on a CSP error).
chromium, live_server, page = test_browser.chromium, test_browser.live_server, test_browser.page

# Villages and what was said about them: none of it may show on a dashboard.
SECRETS = ("东一村", "东二村", "东三村", "西一村", "南一村", "东一村党群服务中心", "断头路多年未修", "叶长青")


def run(app, fn):
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            result = fn()
            db.session.commit()
            return result


def _grade(ops, village, round_, score, on):
    grading = ops.start_grading(village, round_)
    ops.score(grading, {c["key"]: {"score": score} for c in round_.criteria})
    ops.submit(grading, on=on)  # the rounds below need no confirmation: in force at once


def seed(tree, accounts) -> None:
    """甲县: 东镇's 东一村 C then B (lifted), 东二村 B then A, 东三村 first graded C in the second round (its plan: two
    items, one closed); 西镇's 西一村 A twice. 乙县 (the sibling): 南镇's 南一村 C then A. A tour of 甲县 with a meeting
    in 东一村 (one issue answered on the spot, one registered with 西镇 and overdue, one with a county department and
    resolved) and one in 西一村 (answered on the spot)."""
    from core.identity.models import Account
    from core.meetings import operations as meeting_ops
    from core.villages import operations as ops
    from tenants.models import Unit

    today = calendar.today()
    units = {name: db.session.get(Unit, getattr(tree, name)) for name in ("county", "town", "town2", "other_county",
                                                                         "other_town")}
    v = {}
    for key, town, name, code in (("e1", "town", "东一村", "980121001201"), ("e2", "town", "东二村", "980121001202"),
                                  ("e3", "town", "东三村", "980121001203"), ("w1", "town2", "西一村", "980121002201"),
                                  ("s1", "other_town", "南一村", "980221001201")):
        v[key] = ops.add_village(units[town], {"name": name, "code": code, "kind": "village"})
    first, second = today - timedelta(days=300), today - timedelta(days=100)
    for county in ("county", "other_county"):
        r1 = ops.open_round(units[county], {"name": "定期研判", "period": "第一期", "opened_on": first.isoformat(),
                                            "needs_confirmation": False})
        for key, score in (("e1", 60), ("e2", 75), ("w1", 90)) if county == "county" else (("s1", 50),):
            _grade(ops, v[key], r1, score, first + timedelta(days=5))
        ops.close_round(r1)
        r2 = ops.open_round(units[county], {"name": "定期研判", "period": "第二期", "opened_on": second.isoformat(),
                                            "needs_confirmation": False})
        for key, score in (("e1", 75), ("e2", 90), ("w1", 92), ("e3", 55)) if county == "county" else (("s1", 95),):
            _grade(ops, v[key], r2, score, second + timedelta(days=5))
    plan = ops.create_plan(v["e3"], {"party_secretary": "书记", "discipline_secretary": "纪委书记",
                                     "issued_on": (second + timedelta(days=10)).isoformat(),
                                     "items": [{"problem": "问题一", "measure": "措施", "responsible": "联村干部",
                                                "deadline": (today + timedelta(days=30)).isoformat()},
                                               {"problem": "问题二", "measure": "措施", "responsible": "联村干部",
                                                "deadline": (today + timedelta(days=60)).isoformat()}]})
    ops.close_item(plan.items[0], {"evidence": "整改到位", "closed_on": (today - timedelta(days=3)).isoformat()})

    county = units["county"]
    tour = meeting_ops.create_tour(county, {
        "name": "第八轮巡察", "leader_name": "王组长", "members": ["李组员"], "account_ids": accounts,
        "starts_on": (today - timedelta(days=30)).isoformat(), "ends_on": (today + timedelta(days=30)).isoformat(),
        "village_ids": [v["e1"].id, v["w1"].id]})
    east = meeting_ops.create_meeting(tour, {"village_id": v["e1"].id, "held_on": (today - timedelta(days=10)).isoformat(),
                                             "place": "东一村党群服务中心", "leaders": ["巡察组组长"]})
    meeting_ops.log_issue(east, {"category": "road", "summary": "断头路多年未修", "named": True, "villager_name": "叶长青",
                                 "outcome": "answered", "answer": "列入今年计划"})
    meeting_ops.log_issue(east, {"category": "multi_house", "summary": "一户多宅认定有异议", "named": False,
                                 "outcome": "registered", "body_kind": "township", "body_unit_id": units["town2"].id,
                                 "deadline": (today - timedelta(days=2)).isoformat()})
    done = meeting_ops.log_issue(east, {"category": "land_comp", "summary": "占地款未发", "named": False,
                                        "outcome": "registered", "body_kind": "department", "body_name": "县农业农村局",
                                        "deadline": (today + timedelta(days=5)).isoformat()})
    meeting_ops.resolve_issue(done, {"evidence": "已发放", "done_on": (today - timedelta(days=5)).isoformat()},
                              db.session.get(Account, accounts[0]))
    west = meeting_ops.create_meeting(tour, {"village_id": v["w1"].id, "held_on": (today - timedelta(days=8)).isoformat(),
                                             "place": "西一村村委会", "leaders": ["巡察组副组长"]})
    meeting_ops.log_issue(west, {"category": "living_env", "summary": "垃圾清运不及时", "named": False,
                                 "outcome": "answered", "answer": "每日清运"})
    meeting_ops.scan(today)
    ops.scan(today)


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    officer = factory.account("v-officer", [(tree.county, "officer")])
    leader = factory.account("v-leader", [(tree.county, "leader")])
    factory.account("v-analyst", [(tree.county, "analyst")])
    factory.account("v-other-analyst", [(tree.other_county, "analyst")])
    factory.account("p-analyst", [(tree.province, "analyst")])
    factory.account("c-leader", [(tree.city, "leader")])
    run(app, lambda: seed(tree, [officer, leader]))
    return tree


def _range() -> str:
    today = calendar.today()
    return f"since={(today - timedelta(days=40)).isoformat()}&until={today.isoformat()}"


def _table(body: str, name: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]*data-table="{name}"[^>]*>(.*?)</table>', body, re.S)
    assert match, f"no table {name}"
    cells = r"<t[dh][^>]*>(.*?)</t[dh]>"
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(cells, row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)]


def _rows(body: str, name: str) -> dict[str, list[str]]:
    """A table's body rows by their first cell (the header rows left out)."""
    match = re.search(rf'<table[^>]*data-table="{name}"[^>]*>.*?<tbody>(.*?)</tbody>', body, re.S)
    assert match, f"no table {name}"
    cells = r"<t[dh][^>]*>(.*?)</t[dh]>"
    rows = [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(cells, row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)]
    return {row[0]: row[1:] for row in rows}


def _charts(body: str) -> dict:
    match = re.search(r'<script type="application/json" id="dashboard-village-charts">(.*?)</script>', body, re.S)
    assert match, "no villages' chart data"
    return json.loads(match.group(1))


def _page(browser, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_county_shows_its_townships_grades_and_the_move_between_its_last_two_rounds(app, world, browser):
    tree = world
    browser.login("v-analyst")
    body = _page(browser, f"/u/{tree.county}/reporting?{_range()}")
    # The grades in force by township (the roll-ups): 东镇 A1 B1 C1, 西镇 A1.
    grades = _rows(body, "village-grades")
    header = _table(body, "village-grades")[0]
    assert header[:5] == ["乡镇（街道）", "村（社区）", "A类村（社区）", "B类村（社区）", "C类村（社区）"]
    assert grades["东镇"][:4] == ["3", "1", "1", "1"] and grades["西镇"][:4] == ["1", "1", "0", "0"]
    assert grades["合计"][:4] == ["4", "2", "1", "1"]
    assert "甲县本级" not in grades  # the county's own level holds no village
    # Between the rounds: 东一村 C→B (lifted), 东二村 B→A, 东三村 first graded C, 西一村 A→A.
    matrix = dict(re.findall(r'data-move="([^"]+)">(\d+)<', body))
    assert matrix["CB"] == "1" and matrix["BA"] == "1" and matrix["AA"] == "1" and matrix["-C"] == "1"
    assert sum(int(n) for n in matrix.values()) == 4 and matrix["CA"] == "0"  # 乙县's C→A is not here
    moves = _rows(body, "village-moves")
    # 上轮 A B C | 本轮 A B C | 提升 保持 下降 首次评定 本轮未评定 C类摘帽
    assert moves["东镇"] == ["0", "1", "1", "1", "1", "1", "2", "0", "0", "1", "0", "1"]
    assert moves["西镇"] == ["1", "0", "0", "1", "0", "0", "0", "1", "0", "0", "0", "0"]
    assert moves["合计"] == ["1", "1", "1", "2", "1", "1", "2", "1", "0", "1", "0", "1"]
    aim = _table(body, "village-aim")
    assert aim[2] == ["消灭C类", "升为A类 0", "升为B类 1", "仍为C类 0"]
    assert "本轮：定期研判（第二期）" in unescape(body) and "上轮：定期研判（第一期）" in unescape(body)
    # The C villages' plans by township: 东三村's two items, one closed (within the period and ever).
    plans = _rows(body, "village-plans")
    assert plans["东镇"] == ["1", "1", "1", "0", "1", "1"] and plans["西镇"] == ["0", "0", "0", "0", "0", "0"]
    charts = _charts(body)
    assert charts["village_grades"]["categories"] == ["东镇", "西镇"]
    assert charts["village_moves"]["categories"] == ["东镇", "西镇"]
    up = [s for s in charts["village_moves"]["series"] if s["name"] == "提升"][0]["values"]
    assert up == [2, 0]
    # What moved in the period, beside the period before: one village lifted from C long ago (not in it).
    change = _rows(body, "village-change")
    assert change["C类提升"] == ["0", "0", "0"] and change["整改事项销号"] == ["1", "0", "+1"]


def test_a_county_shows_its_on_site_issues_by_township(app, world, browser):
    tree = world
    browser.login("v-analyst")
    body = _page(browser, f"/u/{tree.county}/reporting?{_range()}")
    # By the township of the meeting's village: 办公会 问题 当场答复 办理中 逾期 已办结.
    towns = _rows(body, "meeting-towns")
    assert towns["东镇"] == ["1", "3", "1", "1", "1", "1"]
    assert towns["西镇"] == ["1", "1", "1", "0", "0", "0"]
    assert towns["合计"] == ["2", "4", "2", "1", "1", "1"]
    # The total is the county's figures for the same period (its headline cards).
    cards = dict(re.findall(r'data-figure="(meetings\.[^"]+)">.*?<strong data-value>([^<]*)</strong>', body, re.S))
    assert [cards[k] for k in ("meetings.held", "meetings.issues", "meetings.issues.answered_on_site",
                               "meetings.issues.resolved", "meetings.issues.overdue")] == ["2", "4", "2", "1", "1"]
    # By the body registered with: 西镇's overdue one, the department's resolved one.
    bodies = _rows(body, "meeting-bodies")
    assert bodies["西镇"] == ["1", "1", "1", "0"] and bodies["东镇"] == ["0", "0", "0", "0"]
    assert bodies["县直部门"] == ["1", "0", "0", "1"] and bodies["合计"] == ["2", "1", "1", "1"]
    assert _charts(body)["meeting_issues"]["categories"] == ["东镇", "西镇"]


def test_the_province_shows_each_child_and_its_total_is_their_sum(app, world, browser):
    tree = world
    browser.login("p-analyst")
    body = _page(browser, f"/u/{tree.province}/reporting?{_range()}")
    grades = _rows(body, "village-grades")
    assert list(grades) == ["甲市", "乙市", "合计"]
    assert grades["甲市"][:4] == ["4", "2", "1", "1"] and grades["乙市"][:4] == ["1", "1", "0", "0"]
    for table in ("village-grades", "village-plans", "meeting-units"):
        rows = _rows(body, table)
        sums = [sum(int(rows[name][i]) for name in ("甲市", "乙市")) for i in range(len(rows["合计"]))]
        assert [int(n) for n in rows["合计"]] == sums, table
    assert _rows(body, "meeting-units")["甲市"] == ["2", "4", "2", "1", "1", "1"]
    assert _rows(body, "meeting-units")["乙市"] == ["0"] * 6
    # 南一村 was lifted from C in the second round (not within these 40 days): lifted ever shows nowhere here,
    # and the rounds' movement belongs to a county's page only.
    assert "village-moves" not in body and "meeting-towns" not in body
    # Drilled down to 甲市 then 甲县: the county's page as the county reads it, by township.
    city = _page(browser, f"/u/{tree.province}/reporting/units/{tree.city}?{_range()}")
    assert list(_rows(city, "village-grades")) == ["甲县", "合计"]
    county = _page(browser, f"/u/{tree.province}/reporting/units/{tree.county}?{_range()}")
    assert _rows(county, "village-moves")["合计"] == ["1", "1", "1", "2", "1", "1", "2", "1", "0", "1", "0", "1"]
    assert _rows(county, "meeting-towns")["合计"] == ["2", "4", "2", "1", "1", "1"]
    for shown in (body, city, county):
        for secret in SECRETS:
            assert secret not in shown, secret


def test_an_analyst_reads_numbers_and_no_village_name(app, world, browser):
    tree = world
    browser.login("v-analyst")
    body = _page(browser, f"/u/{tree.county}/reporting?{_range()}")
    assert "东镇" in body and "西镇" in body  # township names are fine
    for secret in SECRETS:
        assert secret not in body, secret
    # An officer reads its own unit's figures only: no panel by township.
    browser.logout()
    browser.login("v-officer")
    officer = _page(browser, f"/u/{tree.county}/reporting?{_range()}")
    assert "data-villages" not in officer and "dashboard-village-charts" not in officer and "东镇" not in officer


def test_a_sibling_countys_numbers_do_not_appear(app, world, browser):
    tree = world
    browser.login("v-other-analyst")
    body = _page(browser, f"/u/{tree.other_county}/reporting?{_range()}")
    # 乙县: 南镇's one village, C then A; no meeting.
    assert _rows(body, "village-grades") == {"南镇": ["1", "1", "0", "0", "0", "0"],
                                             "合计": ["1", "1", "0", "0", "0", "0"]}
    matrix = dict(re.findall(r'data-move="([^"]+)">(\d+)<', body))
    assert matrix["CA"] == "1" and sum(int(n) for n in matrix.values()) == 1
    assert _rows(body, "meeting-towns")["合计"] == ["0"] * 6
    assert "东镇" not in body and "西镇" not in body and "甲县" not in body
    assert browser.get(f"/u/{tree.other_county}/reporting/units/{tree.county}").status_code == 404
    assert browser.get(f"/u/{tree.county}/reporting").status_code == 404


@pytest.mark.browser
def test_the_villages_charts_draw_in_a_browser(app, world, page, live_server):
    """The county's villages charts, drawn by the vendored ECharts from the page's JSON block under the CSP."""
    from playwright.sync_api import expect

    tree = world
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    test_browser._log_in(page, "v-analyst")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.county}/reporting?{_range()}")
    for chart in ("village_grades", "village_moves", "village_plans", "meeting_issues"):
        container = page.locator(f'[data-chart="{chart}"]')
        expect(container).to_have_attribute("data-chart-ready", "true")
        expect(container.locator("svg")).to_have_count(1)
        expect(container.locator("svg text", has_text="东镇")).not_to_have_count(0)
    expect(page.locator('[data-chart="village_moves"] svg text', has_text="提升")).not_to_have_count(0)
    assert not errors, errors
