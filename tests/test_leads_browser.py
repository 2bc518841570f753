"""问题线索 in a real browser (Chromium through Playwright): a township officer registers a lead received last month,
the township's leader submits last month's report (月报备) to the county, the county's case admin receives it and
sends the lead through the funnel (一个漏斗) to 县领办, which the county's leader approves: the township's lead is
then 移交县纪委领办 and the county holds it in its own registry."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_browser import _log_in, _log_out, chromium, live_server, page  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.browser


def test_officer_registers_a_lead_leader_reports_the_month_county_assigns_a_track(page, live_server, factory):
    from playwright.sync_api import expect

    from core import calendar

    tree = factory.tree()
    factory.account("lb-officer", [(tree.town, "officer")])
    factory.account("lb-leader", [(tree.town, "leader")])
    factory.account("lb-caseadmin", [(tree.county, "case_admin")])
    factory.account("lb-county-leader", [(tree.county, "leader")])
    last_month_day = calendar.today().replace(day=1) - timedelta(days=3)
    period = last_month_day.strftime("%Y-%m")

    # The township's officer registers a lead handed over by the county's inspection tour.
    _log_in(page, "lb-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.town}/leads")
    page.locator("[data-register-lead]").click()
    form = page.locator("form[data-lead-form]")
    form.locator('select[name="source"]').select_option("inspection_tour")
    form.locator('input[name="source_note"]').fill("县委第二巡察组移交")
    form.locator('input[name="received_on"]').fill(last_month_day.isoformat())
    form.locator('input[name="persons-0-name"]').fill("柳会计")
    form.locator('input[name="persons-0-position"]').fill("村报账员")
    form.locator('select[name="persons-0-level"]').select_option("village")
    form.locator('textarea[name="summary"]').fill("反映村集体资金报账不规范")
    form.get_by_role("button", name="登记").click()
    expect(page.locator(".flash")).to_contain_text("已登记问题线索")
    number = page.locator("main h1").inner_text().split()[0]
    assert re.fullmatch(r"东纪线〔\d{4}〕\d+号", number), number
    lead_url = page.url
    _log_out(page, live_server)

    # The township's leader sees last month's report generated from the registry and submits it.
    _log_in(page, "lb-leader")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.town}/leads/reports?period={period}")
    preview = page.locator("[data-preview]")
    expect(preview).to_contain_text(number)
    expect(preview).to_contain_text("柳会计")
    preview.get_by_role("button", name="报备").click()
    expect(page.locator(".flash")).to_contain_text(f"已报备：{period}")
    expect(page.locator("main h1 [data-report-state]")).to_have_text("已报备，待签收")
    _log_out(page, live_server)

    # The county's case admin receives it and assigns the lead 县领办 with a reason.
    _log_in(page, "lb-caseadmin")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.county}/leads/reports")
    page.locator(f'a[href*="/leads/reports/"]').first.click()
    expect(page.locator("main")).to_contain_text(number)
    page.locator('form[data-step="receive"]').get_by_role("button", name="签收").click()
    expect(page.locator("main h1 [data-report-state]")).to_have_text("已签收")
    page.goto(f"/u/{tree.county}/leads/funnel")
    page.locator(f'tr[data-funnel-lead="{number}"] [data-decide-link]').click()
    decide = page.locator("[data-decide]")
    decide.locator('select[name="track"]').select_option("county_led")
    decide.locator('textarea[name="reason"]').fill("涉及村集体资金，县纪委领办")
    decide.get_by_role("button", name="分派").click()
    expect(page.locator("[data-pending]")).to_contain_text("县领办")
    _log_out(page, live_server)

    # The county's leader approves: the township's lead leaves its queue for the county's registry.
    _log_in(page, "lb-county-leader")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.county}/leads/funnel")
    page.locator(f'tr[data-pending="{number}"]').get_by_role("button", name="批准").click()
    expect(page.locator(".flash")).to_contain_text("批准")
    expect(page.locator(f'tr[data-pending="{number}"]')).to_have_count(0)
    _log_out(page, live_server)

    _log_in(page, "lb-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(lead_url)
    expect(page.locator('h1 [data-state="transferred"]')).to_be_visible()
