"""巡察现场办公会 in a real browser (Chromium through Playwright): the county's officer sets up an inspection tour of
two villages, logs its on-site meeting in 叶庄村 with one issue answered on the spot (the villager named) and one
registered with 东镇 and a deadline (the villager anonymous), now overdue; 东镇's leader finds it among the issues
registered with the township, marks it done with its note, and the county sees it done and the tour's count move."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_browser import _log_in, _log_out, chromium, live_server, page  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.browser


def _setup(app, factory) -> dict:
    from core import context
    from core.extensions import db
    from core.villages import operations as village_ops
    from tenants.models import Unit

    tree = factory.tree()
    factory.account("meetings-officer", [(tree.county, "officer")])
    factory.account("meetings-town", [(tree.town, "leader")])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        village_ops.add_village(db.session.get(Unit, tree.town), {"name": "叶庄村", "code": "980121001201",
                                                                  "kind": "village"})
        village_ops.add_village(db.session.get(Unit, tree.town2), {"name": "西岭村", "code": "980121002201",
                                                                   "kind": "village"})
        db.session.commit()
    return {"tree": tree}


def _county_stats(app, unit_id: int) -> dict:
    from sqlalchemy import select

    from core import context
    from core.extensions import db
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("meetings.%")))}


def test_a_tour_logs_an_onsite_meeting_one_issue_answered_one_registered_and_the_township_marks_it_done(
        page, live_server, factory, app):  # noqa: F811
    from playwright.sync_api import expect

    from core import calendar

    world = _setup(app, factory)
    tree = world["tree"]
    today = calendar.today()
    held = today - timedelta(days=20)
    deadline = today - timedelta(days=5)

    # The county's officer sets up the tour.
    _log_in(page, "meetings-officer")
    page.wait_for_url(re.compile(rf"/u/{tree.county}/$"))
    page.locator("header.topbar").get_by_role("link", name="现场办公会", exact=True).click()
    expect(page.locator("table[data-tours]")).to_contain_text("尚无巡察")
    tour_form = page.locator("section[data-new-tour] form")
    tour_form.locator('input[name="name"]').fill("县委第三巡察组第八轮巡察")
    tour_form.locator('input[name="leader_name"]').fill("王组长")
    tour_form.locator('input[name="members"]').fill("李组员、赵组员")
    tour_form.locator('input[name="starts_on"]').fill((today - timedelta(days=30)).isoformat())
    tour_form.locator('input[name="ends_on"]').fill((today + timedelta(days=30)).isoformat())
    expect(tour_form.locator('input[name="account_ids"]')).to_be_checked()  # the officer follows the tour
    tour_form.get_by_label("东镇 · 叶庄村").check()
    tour_form.get_by_label("西镇 · 西岭村").check()
    tour_form.get_by_role("button", name="建立巡察").click()
    expect(page).to_have_url(re.compile(rf"/u/{tree.county}/meetings/tours/\d+$"))
    expect(page.locator("[data-tour-villages]")).to_have_text("东镇 · 叶庄村；西镇 · 西岭村")

    # Its on-site meeting in 叶庄村, twenty days ago.
    meeting_form = page.locator("form[data-new-meeting]")
    meeting_form.locator('select[name="village_id"]').select_option(label="东镇 · 叶庄村")
    meeting_form.locator('input[name="held_on"]').fill(held.isoformat())
    meeting_form.locator('input[name="place"]').fill("叶庄村党群服务中心")
    meeting_form.locator('input[name="leaders"]').fill("王组长、东镇党委书记")
    meeting_form.locator('input[name="departments"]').fill("县交通运输局、县自然资源局")
    meeting_form.get_by_role("button", name="记录").click()
    expect(page).to_have_url(re.compile(rf"/u/{tree.county}/meetings/\d+$"))
    expect(page.locator("main h1")).to_have_text("叶庄村 · 现场办公会")
    meeting_url = page.url

    # One issue answered on the spot; the villager agreed to be named.
    issue_form = page.locator("form[data-new-issue]")
    issue_form.locator('select[name="category"]').select_option(label="道路交通")
    issue_form.locator('textarea[name="summary"]').fill("村东二十多米断头路多年未修")
    issue_form.locator('input[name="named"]').check()
    issue_form.locator('input[name="villager_name"]').fill("叶长青")
    issue_form.locator('select[name="outcome"]').select_option(label="当场答复")
    issue_form.locator('textarea[name="answer"]').fill("已列入农村公路计划，月底开工")
    issue_form.get_by_role("button", name="记录").click()
    first = page.locator('tr[data-issue="1"]')
    expect(first).to_have_attribute("data-issue-state", "answered")
    expect(first).to_contain_text("已列入农村公路计划，月底开工")
    expect(first.locator("[data-villager]")).to_have_text("叶长青")

    # One registered with 东镇, the villager anonymous (the name given is sealed and shown nowhere).
    issue_form = page.locator("form[data-new-issue]")
    issue_form.locator('select[name="category"]').select_option(label="一户多宅")
    issue_form.locator('textarea[name="summary"]').fill("两处宅基地被认定一户多宅有异议")
    issue_form.locator('input[name="villager_name"]').fill("叶保密")
    issue_form.locator('select[name="outcome"]').select_option(label="登记交办")
    issue_form.locator('select[name="body_kind"]').select_option(label="乡镇（街道）")
    issue_form.locator('select[name="body_unit_id"]').select_option(label="东镇")
    issue_form.locator('input[name="deadline"]').fill(deadline.isoformat())
    issue_form.get_by_role("button", name="记录").click()
    second = page.locator('tr[data-issue="2"]')
    expect(second).to_have_attribute("data-issue-state", "open")
    expect(second).to_contain_text("东镇")
    expect(second.locator("[data-overdue]")).to_have_text("已逾期")
    expect(page.locator("main")).not_to_contain_text("叶保密")
    stats = _county_stats(app, tree.county)
    assert (stats["meetings.held"], stats["meetings.issues"], stats["meetings.issues.answered_on_site"],
            stats["meetings.issues.open"], stats["meetings.issues.overdue"]) == (1, 2, 1, 1, 1)
    _log_out(page, live_server)

    # 东镇's leader: the issue registered with the township, overdue; marked done with its note.
    _log_in(page, "meetings-town")
    page.wait_for_url(re.compile(rf"/u/{tree.town}/$"))
    page.locator("header.topbar").get_by_role("link", name="现场办公会交办问题").click()
    assigned = page.locator("table[data-assigned-issues]")
    expect(assigned.locator("tr[data-issue]")).to_have_count(1)  # not the one answered on the spot
    expect(assigned).to_contain_text("叶庄村")
    expect(assigned.locator("[data-overdue]")).to_have_text("已逾期")
    assigned.get_by_role("link", name="两处宅基地被认定一户多宅有异议").click()
    expect(page.locator("main")).not_to_contain_text("叶保密")
    resolve = page.locator("form[data-resolve]")
    resolve.locator('textarea[name="evidence"]').fill("经复核，其中一处为祖宅，已出具说明并答复本人")
    resolve.get_by_role("button", name="办结").click()
    expect(page.locator("main h1 [data-issue-state]")).to_have_attribute("data-issue-state", "done")
    expect(page.locator("[data-done]")).to_contain_text("已出具说明并答复本人")
    expect(page.locator("form[data-resolve]")).to_have_count(0)
    page.locator("header.topbar").get_by_role("link", name="现场办公会交办问题").click()
    expect(page.locator('table[data-assigned-issues] tr[data-issue]')).to_have_attribute("data-issue-state", "done")
    expect(page.locator("table[data-assigned-issues] [data-overdue]")).to_have_count(0)
    _log_out(page, live_server)

    # The county sees it done; the tour's count and the figures moved.
    _log_in(page, "meetings-officer")
    page.wait_for_url(re.compile(rf"/u/{tree.county}/$"))
    page.goto(meeting_url)
    expect(page.locator('tr[data-issue="2"]')).to_have_attribute("data-issue-state", "done")
    expect(page.locator('tr[data-issue="2"] [data-overdue]')).to_have_count(0)
    page.get_by_role("link", name="返回巡察：县委第三巡察组第八轮巡察").click()
    expect(page.locator("[data-tour-summary]")).to_have_text(
        "共 2 项：当场答复 1 项，已办结 1 项，办理中 0 项（逾期 0 项）")
    stats = _county_stats(app, tree.county)
    assert (stats["meetings.issues.resolved"], stats["meetings.issues.open"], stats["meetings.issues.overdue"]) \
        == (1, 0, 0)
    _log_out(page, live_server)
