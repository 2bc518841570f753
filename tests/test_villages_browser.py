"""清廉村居 in a real browser (Chromium through Playwright): a township officer scores two villages in the county's
round, one becomes C and gets its plan (一村一方案), whose first problem is then closed out (销号)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_browser import _log_in, chromium, live_server, page  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.browser


def _setup(app, factory) -> dict:
    from core import context
    from core.extensions import db
    from core.villages import operations as ops
    from tenants.models import Unit

    tree = factory.tree()
    officer = factory.account("villages-officer", [(tree.town, "officer")])
    with app.app_context(), context.acting(context.maintenance_context(account_id=officer), db.session):
        town, county = db.session.get(Unit, tree.town), db.session.get(Unit, tree.county)
        ops.open_round(county, {"name": "清廉村居定期研判", "period": "2026上半年", "needs_confirmation": False})
        ids = {name: ops.add_village(town, {"name": name, "code": f"980121001{suffix}", "kind": "village"}).id
               for name, suffix in (("东岗村", "201"), ("双溪村", "202"))}
        db.session.commit()
    return {"tree": tree, "ids": ids}


def test_a_township_scores_two_villages_one_becomes_c_and_gets_its_plan(page, live_server, factory, app):  # noqa: F811
    from playwright.sync_api import expect

    from core import calendar

    world = _setup(app, factory)
    town = world["tree"].town
    _log_in(page, "villages-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.locator("header.topbar").get_by_role("link", name="清廉村居").click()
    expect(page.locator("table[data-villages]")).to_contain_text("双溪村")
    for name, level in (("东岗村", "92"), ("双溪村", "58")):
        page.locator("table[data-villages]").get_by_role("link", name=name).click()
        page.get_by_role("button", name="评分：2026上半年").click()
        form = page.locator("form[data-score-form]")
        for criterion in ("作风纪律", "三资管理", "村级工程", "村务管理运行", "群众反映"):
            form.locator(f'tr[data-criterion="{criterion}"] input[name^="score-"]').fill(level)
        form.get_by_role("button", name="保存并提交").click()
        expect(page.locator("[data-state]")).to_have_text("已生效")
        page.get_by_role("link", name="返回村（社区）").click()
        expect(page.locator("[data-grade-history]")).to_contain_text("首次评定")
        page.locator("header.topbar").get_by_role("link", name="清廉村居").click()
    expect(page.locator('tr[data-village="980121001201"] [data-grade]')).to_have_text("A类")
    expect(page.locator('tr[data-village="980121001202"] [data-grade]')).to_have_text("C类")

    page.locator("table[data-villages]").get_by_role("link", name="双溪村").click()
    plan = page.locator("form[data-plan-form]")
    plan.locator('input[name="party_secretary"]').fill("陈书记")
    plan.locator('input[name="discipline_secretary"]').fill("刘纪委")
    deadline = (calendar.today() + timedelta(days=30)).isoformat()
    for i, (problem, measure) in enumerate((("宅基地征地久拖不决", "逐户上门做工作"), ("三资台账不清", "清理合同并公开"))):
        row = plan.locator(f'[data-item-row="{i}"]')
        row.locator(f'input[name="items-{i}-problem"]').fill(problem)
        row.locator(f'input[name="items-{i}-measure"]').fill(measure)
        row.locator(f'input[name="items-{i}-responsible"]').fill("蒋联村")
        row.locator(f'input[name="items-{i}-deadline"]').fill(deadline)
    plan.get_by_role("button", name="制定一村一方案").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/villages/plans/\d+$"))
    expect(page.locator("[data-plan-items]")).to_contain_text("宅基地征地久拖不决")
    close = page.locator('form[data-close-item="1"]')
    close.locator('input[name="evidence"]').fill("征地已完成，协议已归档")
    close.get_by_role("button", name="销号").click()
    expect(page.locator('tr[data-item="1"]')).to_have_attribute("data-item-state", "closed")
    expect(page.locator('tr[data-item="2"]')).to_have_attribute("data-item-state", "open")
    expect(page.locator("[data-plan-state]")).to_have_text("整改中")
