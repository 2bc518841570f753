"""轮流坐班接访 in a real browser (Chromium through Playwright): a township's leader opens the reception room from the
top bar, generates this month's rota round-robin over two staff, leaves one working day without a receptionist and
sees it counted and marked as uncovered; then logs a 接访 of a named person, whose name the pages show masked only.
An officer on the rota registers it as a petition in one step (leaders do not register petitions); the petition's
page links back to the reception."""
from __future__ import annotations

import re

import pytest

from tests import test_browser
from tests.test_browser import _log_in, _log_out

# The browser test's fixtures (a live server, Chromium, a page that fails on a CSP error).
chromium, live_server, page = test_browser.chromium, test_browser.live_server, test_browser.page

pytestmark = pytest.mark.browser

PERSON = "王小明"  # the person received: never in plain text on a page without the audited reveal
PHONE = "13812345678"


def _setup(factory) -> dict:
    tree = factory.tree()
    leader = factory.account("rb-leader", [(tree.town, "leader")])
    officer = factory.account("rb-officer", [(tree.town, "officer")])
    return {"tree": tree, "leader": leader, "officer": officer}


def test_a_township_leader_keeps_the_rota_and_turns_a_walk_in_into_a_petition(page, live_server, factory):
    from playwright.sync_api import expect

    world = _setup(factory)
    town = world["tree"].town
    _log_in(page, "rb-leader")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.locator("header.topbar").get_by_role("link", name="信访接待室").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/reception$"))
    rota = page.locator("section[data-rota]")
    month = rota.get_attribute("data-rota")
    assert re.fullmatch(r"\d{4}-\d{2}", month or ""), month
    expect(rota).to_contain_text("本月尚未排班")
    working = int(rota.locator(".figure").filter(has_text="工作日").locator("strong").inner_text())
    assert working >= 10, working  # even a month of the Spring Festival or 国庆 has more (October 2025: 18)
    expect(rota.locator("strong[data-covered]")).to_have_text("0")
    expect(rota.locator("strong[data-uncovered]")).to_have_text(str(working))

    # 轮流坐班: the month's working days given in turn to the leader and the officer.
    rota.get_by_role("link", name="编辑本月排班").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/reception/rota\?month={month}$"))
    generate = page.locator("section[data-rota-generate] form")
    generate.get_by_label("rb-leader 姓名").check()
    generate.get_by_label("rb-officer 姓名").check()
    generate.get_by_role("button", name="生成排班").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/reception\?month={month}$"))
    expect(page.locator(".flash")).to_contain_text(f"{month} 接访排班已保存")
    rota = page.locator("section[data-rota]")
    expect(rota.locator("strong[data-covered]")).to_have_text(str(working))
    expect(rota.locator("strong[data-uncovered]")).to_have_text("0")
    expect(rota.locator("tr[data-uncovered]")).to_have_count(0)
    expect(rota.locator("table[data-rota-days]")).to_contain_text("rb-leader 姓名")
    expect(rota.locator("table[data-rota-days]")).to_contain_text("rb-officer 姓名")

    # The last working day taken off: it shows as uncovered, and the counts move.
    page.get_by_role("link", name="编辑本月排班").click()
    edit = page.locator("form[data-rota-days]")
    rows = edit.locator("tbody tr")
    expect(rows).to_have_count(working)
    last = rows.nth(working - 1)
    last_day = last.get_attribute("data-day")
    expect(last.locator("select")).not_to_have_value("")
    last.locator("select").select_option("")
    edit.get_by_role("button", name="保存排班").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/reception\?month={month}$"))
    rota = page.locator("section[data-rota]")
    expect(rota.locator("strong[data-covered]")).to_have_text(str(working - 1))
    expect(rota.locator("strong[data-uncovered]")).to_have_text("1")
    expect(rota.locator("tr[data-uncovered]")).to_have_count(1)
    uncovered = rota.locator(f'tr[data-day="{last_day}"]')
    expect(uncovered).to_have_attribute("data-uncovered", "")
    expect(uncovered).to_contain_text("未覆盖")
    covered = rota.locator("table[data-rota-days] tbody tr:not([data-uncovered])").filter(has_text="工作日")
    expect(covered.first).to_contain_text("姓名")

    # 接访: a walk-in logged with the person's name, phone, the matter and the outcome.
    form = page.locator("section[data-new-reception] form")
    form.locator('select[name="kind"]').select_option("walk_in")
    form.locator('input[name="person_name"]').fill(PERSON)
    form.locator('input[name="person_phone"]').fill(PHONE)
    form.locator('textarea[name="matter"]').fill("反映村委会主任在低保评定中优亲厚友")
    form.locator('textarea[name="outcome"]').fill("反映村干部问题，登记为信访举报件")
    form.get_by_role("button", name="登记").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/reception/\d+$"))
    reception_url = page.url
    expect(page.locator("h1 [data-kind]")).to_have_text("接访")
    number = page.locator("main h1").inner_text().split()[0]
    received_on = page.locator("main tr").filter(has_text="接待日期").locator("td").inner_text()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", received_on), received_on
    person = page.locator("section[data-person] table[data-masked]")
    expect(person).to_contain_text("王**")
    expect(person).to_contain_text("138****5678")
    assert PERSON not in page.content() and PHONE not in page.content()

    # A leader does not register petitions (the access matrix: intake and officers do): no form to convert here.
    expect(page.locator("section[data-convert]")).to_have_count(0)
    _log_out(page, live_server)

    # 登记为信访举报件 in one step, by the officer (a receptionist on the rota): the accused and the category; the
    # reception then names the petition.
    _log_in(page, "rb-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(reception_url)
    expect(page.locator("section[data-person] table[data-masked]")).to_contain_text("王**")
    convert = page.locator("section[data-convert] form")
    convert.locator('input[name="accused_name"]').fill("李某某")
    convert.locator('input[name="accused_position"]').fill("村委会主任")
    convert.locator('input[name="summary"]').fill("反映村委会主任低保评定优亲厚友")
    convert.get_by_role("button", name="登记为信访举报件").click()
    expect(page).to_have_url(reception_url)
    expect(page.locator(".flash")).to_contain_text("已登记为信访举报件")
    expect(page.locator("section[data-convert]")).to_have_count(0)
    petition_cell = page.locator("td[data-petition]")
    petition_link = petition_cell.get_by_role("link")
    expect(petition_link).to_have_count(1)
    petition_number = petition_link.inner_text()
    assert PERSON not in page.content()

    # The petition's page: channel 来访, the informant masked the same way, and the link back to the reception.
    petition_link.click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/petitions/\d+$"))
    expect(page.locator("main h1")).to_contain_text(petition_number)
    expect(page.locator("main tr").filter(has_text="受理方式").locator("td")).to_have_text("来访")
    expect(page.locator("main tr").filter(has_text="受理日期").locator("td")).to_have_text(received_on)
    expect(page.locator("main tr").filter(has=page.locator("th", has_text=re.compile("^姓名$"))).first).to_contain_text(
        "王**")
    assert PERSON not in page.content() and PHONE not in page.content()
    panel = page.locator("section[data-from-reception]")
    expect(panel).to_contain_text("来自接访登记")
    panel.get_by_role("link", name=number).click()
    expect(page).to_have_url(reception_url)

    # The room's list shows the reception converted, with the petition's number, and never the person's name.
    page.get_by_role("link", name="返回信访接待室").click()
    row = page.locator("section[data-receptions] tr[data-kind=walk_in]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text(petition_number)
    assert PERSON not in page.content()
