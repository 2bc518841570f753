"""End to end in a real browser: Debian's Chromium driven by Playwright against the app on a live server.

A member logs in, switches between two of their units with the top-bar switcher (app.js) and logs out;
a system administrator passes the second factor and creates a unit through the admin form, meeting a
form error in Chinese on the way. The pages are asked for in Chinese (zh-CN), as the users see them.
"""
from __future__ import annotations

import re
import shutil
import threading
from datetime import timedelta

import pyotp
import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def live_server(app):
    """The test app on 127.0.0.1 at a free port, served from a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"uncaught script error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert not problems, problems


def _log_in(page, username):
    from playwright.sync_api import expect

    page.goto("/login")
    expect(page.locator("main h1")).to_have_text("登录")
    form = page.locator("main form")
    form.locator('input[name="username"]').fill(username)
    form.locator('input[name="password"]').fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def _log_out(page, live_server):
    from playwright.sync_api import expect

    page.locator("header.topbar").get_by_role("button", name="退出").click()
    page.wait_for_url(f"{live_server}/login")
    expect(page.locator("main h1")).to_have_text("登录")
    expect(page.locator(".flash")).to_contain_text("您已安全退出")
    expect(page.locator("header.topbar").get_by_role("button", name="退出")).to_have_count(0)


def test_member_switches_units_and_logs_out(page, live_server, factory, tmp_path):
    from playwright.sync_api import expect

    tree = factory.tree()
    factory.account("zhang-officer", [(tree.town, "officer"), (tree.county, "officer")])
    names = {tree.town: "东镇", tree.county: "甲县"}

    _log_in(page, "zhang-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    landed = int(re.search(r"/u/(\d+)/$", page.url).group(1))
    assert landed in names, page.url
    other = tree.county if landed == tree.town else tree.town

    heading = page.locator("h1[data-unit-name]")
    expect(heading).to_contain_text(names[landed])
    expect(page.locator(".who")).to_contain_text("zhang-officer 姓名")
    switcher = page.locator("select[data-unit-select]")
    expect(switcher).to_have_value(f"/u/{landed}/")
    options = switcher.locator("option")
    expect(options).to_have_count(2)
    assert sorted(options.evaluate_all("els => els.map(e => e.value)")) == sorted(f"/u/{u}/" for u in names)
    page.screenshot(path=str(tmp_path / "workspace.png"), full_page=True)

    # The switcher has no submit button when scripts run: app.js navigates on change.
    switcher.select_option(f"/u/{other}/")
    page.wait_for_url(f"{live_server}/u/{other}/")
    expect(heading).to_contain_text(names[other])
    expect(heading).not_to_contain_text(names[landed])
    expect(page.locator("select[data-unit-select]")).to_have_value(f"/u/{other}/")

    _log_out(page, live_server)

    # The session really ended: the workspace now sends the browser to the login page.
    page.goto(f"/u/{other}/")
    page.wait_for_url(re.compile(r"/login(\?.*)?$"))
    expect(page.locator("main h1")).to_have_text("登录")
    expect(page.locator("h1[data-unit-name]")).to_have_count(0)


def test_system_admin_creates_unit_after_second_factor(page, live_server, factory):
    from playwright.sync_api import expect

    tree = factory.tree()
    factory.account("sys-admin", platform_role="system")

    _log_in(page, "sys-admin")
    page.wait_for_url(f"{live_server}/login/second-factor")
    expect(page.locator("main h1")).to_have_text("请输入动态口令")
    page.locator('main form input[name="code"]').fill(pyotp.TOTP(factory.totp["sys-admin"]).now())
    page.locator("main form").get_by_role("button", name="确认").click()
    page.wait_for_url(f"{live_server}/admin/")
    expect(page.locator("main h1")).to_contain_text("平台管理")

    page.goto("/admin/units/new")
    expect(page.locator("main h1")).to_have_text("新建单位")
    form = page.locator("main form")
    form.locator('input[name="name"]').fill("丙县")
    form.locator('select[name="level"]').select_option("county")
    form.locator('input[name="code"]').fill("12")
    form.locator('select[name="parent_id"]').select_option(str(tree.city))
    form.get_by_role("button", name="建立").click()

    # An invalid code: the form comes back with the error in Chinese and the entries kept.
    errors = page.locator(".errors li")
    expect(errors.filter(has_text="区划代码")).not_to_have_count(0)
    expect(page.locator("main h1")).to_have_text("新建单位")
    expect(form.locator('input[name="name"]')).to_have_value("丙县")
    expect(form.locator('select[name="level"]')).to_have_value("county")
    expect(form.locator('select[name="parent_id"]')).to_have_value(str(tree.city))

    form.locator('input[name="code"]').fill("980188")
    form.get_by_role("button", name="建立").click()
    page.wait_for_url(re.compile(r"/admin/units/\d+$"))
    expect(page.locator("main h1")).to_contain_text("丙县")
    expect(page.locator("main h1")).to_contain_text("980188")
    expect(page.locator(".flash")).to_contain_text("已建立单位：丙县")

    page.goto("/admin/units")
    tree_items = page.locator("[data-unit-tree] li")
    new_item = tree_items.filter(has_text="丙县")
    expect(new_item).to_have_count(1)
    expect(new_item).to_contain_text("980188")
    # Listed in tree order: under 甲市 (980100), before 乙市 (980200).
    texts = tree_items.all_inner_texts()
    position = {name: next(i for i, t in enumerate(texts) if name in t) for name in ("甲市", "丙县", "乙市")}
    assert position["甲市"] < position["丙县"] < position["乙市"], texts

    _log_out(page, live_server)


def test_county_issues_a_rectification_order_township_answers_county_accepts(page, live_server, factory):
    """The rectification loop (整改交办单) through the pages, as the county leader and the township officer."""
    from playwright.sync_api import expect

    from core import calendar

    tree = factory.tree()
    factory.account("county-secretary", [(tree.county, "leader")])
    factory.account("east-handler", [(tree.town, "officer")])

    _log_in(page, "county-secretary")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.locator("header.topbar").get_by_role("link", name="督办件").click()
    page.get_by_role("link", name="下发督办件").click()
    form = page.locator("form[data-supervision-form]")
    form.locator('select[name="kind"]').select_option("rectification")
    form.locator('select[name="recipient_unit_id"]').select_option(str(tree.town))
    form.locator('input[name="title"]').fill("澄清正名工作中期检查发现的问题")
    # A deadline beyond the years the platform plans for: refused in Chinese; back to the form, entries kept.
    form.locator('input[name="due_on"]').fill("2099-12-31")
    form.get_by_role("button", name="下发").click()
    expect(page.locator("main")).to_contain_text("日期须在")
    page.get_by_role("button", name="返回修改（已填写的内容保留）").click()
    form = page.locator("form[data-supervision-form]")
    expect(form.locator('input[name="title"]')).to_have_value("澄清正名工作中期检查发现的问题")
    form.locator('input[name="due_on"]').fill((calendar.today() + timedelta(days=60)).isoformat())
    form.get_by_role("button", name="下发").click()
    # No problem listed: refused in Chinese, entries kept.
    expect(page.locator(".errors li")).to_contain_text("整改交办单至少列出一个问题")
    expect(form.locator('input[name="title"]')).to_have_value("澄清正名工作中期检查发现的问题")
    form.get_by_label("问题 1", exact=True).fill("回访记录不全")
    form.get_by_label("问题 2", exact=True).fill("澄清通知书未归档")
    form.get_by_role("button", name="下发").click()
    expect(page.locator("main h1")).to_contain_text("已下发")
    expect(page).to_have_url(re.compile(r"/supervision/\d+$"))
    item_id = page.url.rsplit("/", 1)[1]
    _log_out(page, live_server)

    _log_in(page, "east-handler")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    expect(page.locator("[data-inbox-count]")).to_have_attribute("data-inbox-count", "1")
    page.locator("[data-inbox-count]").click()
    page.get_by_role("link", name=re.compile("澄清正名工作中期检查发现的问题")).click()
    page.wait_for_url(f"{live_server}/u/{tree.town}/supervision/{item_id}")
    for seq, answer in ((1, "已补齐一人四访记录"), (2, "已归档并建立台账")):
        row = page.locator(f'[data-problem="{seq}"]')
        row.get_by_label(f"整改情况 {seq}").fill(answer)
        row.get_by_role("button", name="保存整改情况").click()
        expect(page.locator(f'[data-problem="{seq}"]').get_by_label(f"整改情况 {seq}")).to_have_value(answer)
    page.locator("main").get_by_label("办结情况").fill("两项问题均已整改到位")
    page.get_by_role("button", name="报办结").click()
    expect(page.locator("[data-state]")).to_have_text("已报办结")
    _log_out(page, live_server)

    _log_in(page, "county-secretary")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{tree.county}/supervision/{item_id}")
    page.get_by_role("button", name="验收通过").click()
    expect(page.locator(".flash")).to_contain_text("第 1、2 项问题尚未核销")  # each problem is checked off first
    for seq in (1, 2):
        page.locator(f'[data-problem="{seq}"]').get_by_role("button", name="核销").click()
        expect(page.locator(f'[data-problem="{seq}"]')).to_contain_text("已核销")
    page.get_by_role("button", name="验收通过").click()
    expect(page.locator("[data-state]")).to_have_text("已验收")
    expect(page.locator("[data-history]")).to_contain_text("报办结")
    expect(page.locator("[data-history]")).to_contain_text("验收通过")
    _log_out(page, live_server)


def test_township_officer_takes_a_case_from_the_pool_to_filing_with_a_county_review(page, live_server, factory):
    """Clearing names (澄清正名) through the pages: the city's 正反清单, the township's pool, an assessment
    ticking a negative condition, the county's 提级审核 (refused in Chinese until a leader states the
    override), the plan, the clearing, feedback, filing, a follow-up visit, the person's file and the notice."""
    from datetime import timedelta

    from playwright.sync_api import expect

    from core import calendar

    tree = factory.tree()
    factory.account("city-leader", [(tree.city, "leader")])
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("east-leader", [(tree.town, "leader")])
    factory.account("county-leader", [(tree.county, "leader")])
    today = calendar.today()  # the server's today (China), as the forms prefill it
    condition = "本人另有问题正在审查调查"

    # The city leader adds a negative condition to the 正反清单 every unit below inherits.
    _log_in(page, "city-leader")
    page.wait_for_url(f"{live_server}/u/{tree.city}/")
    page.goto(f"/u/{tree.city}/clearing/conditions")
    form = page.locator("form[data-condition-form]")
    form.get_by_label("类别").select_option("negative")
    form.get_by_label("条件").fill(condition)
    form.get_by_role("button", name="加入清单").click()
    expect(page.locator(".flash")).to_contain_text("已加入正反清单")
    row = page.locator("[data-conditions] tbody tr").filter(has_text=condition)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("负面")
    _log_out(page, live_server)

    # The township officer records a concluded unfounded accusation in the pool and accepts it into clearing.
    _log_in(page, "east-officer")
    page.wait_for_url(f"{live_server}/u/{tree.town}/")
    page.goto(f"/u/{tree.town}/clearing/pool")
    page.locator("main").get_by_role("link", name="纳入备选库").click()
    page.wait_for_url(f"{live_server}/u/{tree.town}/clearing/pool/new")
    form = page.locator("form[data-candidate-form]")
    form.get_by_label("原件编号").fill("东纪信〔2025〕17号")
    form.get_by_label("办结日期").fill((today - timedelta(days=90)).isoformat())
    form.get_by_label("被反映人姓名（或单位名称）").fill("李建国")
    form.get_by_label("职务", exact=True).fill("村党支部书记")
    form.get_by_label("工作单位", exact=True).fill("东镇前进村")
    form.get_by_label("征地拆迁").check()
    form.get_by_label("反映的问题").fill("反映其在征地补偿中优亲厚友")
    form.get_by_label("核查结论").fill("经核查，反映问题不属实")
    form.get_by_role("button", name="纳入备选库").click()
    page.wait_for_url(f"{live_server}/u/{tree.town}/clearing/pool")
    expect(page.locator(".flash")).to_contain_text("已纳入备选库：李建国")
    candidate = page.locator('[data-candidate="东纪信〔2025〕17号"]')
    expect(candidate).to_contain_text("征地拆迁")
    candidate.get_by_role("button", name="纳入澄清").click()
    page.wait_for_url(re.compile(rf"/u/{tree.town}/clearing/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    case_path = f"/u/{tree.town}/clearing/cases/{case_id}"
    state = page.locator("main h1 [data-state]")
    expect(state).to_have_text("待评估")
    number = page.locator("[data-number]").inner_text().strip()
    assert number, "the case has no number"

    # The assessment: the three checklist items, the city's negative condition, sensitive.
    form = page.locator('form[data-step="assess"]')
    for item in ("是否核查全面", "是否结论清楚", "是否处置到位"):
        form.get_by_label(item).check()
    form.get_by_label(condition).check()
    form.get_by_label("敏感复杂，需提级审核").check()
    form.get_by_label("联审意见").fill("核查全面，结论清楚，建议澄清")
    form.get_by_role("button", name="提交评估").click()
    expect(state).to_have_text("待复核")
    expect(page.locator("[data-record]")).to_contain_text(condition)
    _log_out(page, live_server)

    # The township leader sends the sensitive case up for the county's review.
    _log_in(page, "east-leader")
    page.wait_for_url(f"{live_server}/u/{tree.town}/")
    page.goto(case_path)
    expect(page.locator("[data-negative]")).to_contain_text(condition)
    page.locator('form[data-step="escalate"]').get_by_role("button", name="报请上级提级审核").click()
    expect(state).to_have_text("提级审核中")
    expect(page.locator("[data-steps]")).to_have_count(0)  # nothing left for the township until the county answers
    _log_out(page, live_server)

    # The county leader finds it on the county's clearing page and reviews it.
    _log_in(page, "county-leader")
    page.wait_for_url(f"{live_server}/u/{tree.county}/")
    page.locator("header.topbar").get_by_role("link", name="澄清正名").click()
    page.wait_for_url(f"{live_server}/u/{tree.county}/clearing")
    escalated = page.locator("[data-escalated]")
    expect(escalated).to_contain_text("报请本单位提级审核的澄清件")
    expect(escalated).to_contain_text("东镇")
    escalated.get_by_role("link", name=number).click()
    county_case = f"{live_server}/u/{tree.county}/clearing/cases/{case_id}"
    page.wait_for_url(county_case)
    expect(page.locator("[data-shared-note]")).to_contain_text("东镇")
    form = page.locator('form[data-step="higher_review"]')
    form.get_by_label("复核意见").fill("同意澄清")
    form.get_by_role("button", name="复核通过").click()
    # No override stated for the negative condition: refused in Chinese, the opinion kept.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("须由委领导说明理由")
    expect(alert).to_contain_text(condition)
    expect(state).to_have_text("提级审核中")
    form = page.locator('form[data-step="higher_review"]')
    expect(form.get_by_label("复核意见")).to_have_value("同意澄清")
    form.get_by_label("委领导说明理由").fill("该问题已另案查结，不影响本次澄清")
    form.get_by_role("button", name="复核通过").click()
    page.wait_for_url(f"{live_server}/u/{tree.county}/clearing")
    expect(page.locator(".flash")).to_contain_text("上级复核通过")
    expect(page.locator("[data-escalated]")).to_have_count(0)
    # The share ended with the review: the county no longer sees the case.
    response = page.goto(county_case)
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("页面不存在或您无权查看")
    _log_out(page, live_server)

    # Back at the township: plan, approval, clearing, feedback, filing.
    _log_in(page, "east-officer")
    page.wait_for_url(f"{live_server}/u/{tree.town}/")
    page.goto(case_path)
    expect(state).to_have_text("待制定方案")
    expect(page.locator("[data-override]")).to_contain_text("该问题已另案查结")
    form = page.locator('form[data-step="submit_plan"]')
    form.get_by_label("澄清方式").select_option(label="村民代表大会")
    form.get_by_label("澄清范围").fill("前进村村民代表")
    form.get_by_label("地点").fill("前进村村委会会议室")
    form.get_by_label("计划日期").fill(today.isoformat())
    form.get_by_role("button", name="报送方案").click()
    expect(state).to_have_text("方案待审批")
    _log_out(page, live_server)

    # Reviewed above, so the plan is approved above: the township's leader sends it up, the county approves.
    _log_in(page, "east-leader")
    page.wait_for_url(f"{live_server}/u/{tree.town}/")
    page.goto(case_path)
    expect(page.locator('form[data-step="approve_plan"]')).to_have_count(0)
    page.locator('form[data-step="escalate_plan"]').get_by_role("button", name="方案报上级审批").click()
    expect(state).to_have_text("方案报上级审批中")
    _log_out(page, live_server)

    _log_in(page, "county-leader")
    page.wait_for_url(f"{live_server}/u/{tree.county}/")
    page.goto(f"{live_server}/u/{tree.county}/clearing")
    page.locator("[data-escalated]").get_by_role("link", name=number).click()
    page.wait_for_url(county_case)
    expect(page.locator("main")).to_contain_text("前进村村委会会议室")
    page.locator('form[data-step="higher_approve_plan"]').get_by_role("button", name="批准方案（提级审核）").click()
    page.wait_for_url(f"{live_server}/u/{tree.county}/clearing")
    expect(page.locator(".flash")).to_contain_text("上级批准方案")
    _log_out(page, live_server)

    _log_in(page, "east-officer")
    page.wait_for_url(f"{live_server}/u/{tree.town}/")
    page.goto(case_path)
    form = page.locator('form[data-step="clear"]')
    expect(form.get_by_label("澄清日期")).to_have_value(today.isoformat())
    form.get_by_label("主持人").fill("王镇纪委书记")
    form.get_by_label("参加人员及范围").fill("前进村村民代表32人")
    form.get_by_role("button", name="记录澄清").click()
    expect(state).to_have_text("待反馈")
    expect(page.locator("[data-visits] [data-visit]")).to_have_count(4)
    form = page.locator('form[data-step="feedback"]')
    form.get_by_label("所在党组织", exact=True).fill("前进村党支部")
    form.get_by_label("党组织主要负责人（一把手）").fill("赵书记")
    form.get_by_label("抄送的组织（人事）部门").fill("东镇党委组织办")
    form.get_by_role("button", name="记录反馈").click()
    expect(state).to_have_text("待备案")
    form = page.locator('form[data-step="file"]')
    expect(form.get_by_label("备案日期（纳入廉政档案）")).to_have_value(today.isoformat())
    form.get_by_role("button", name="备案").click()
    expect(state).to_have_text("已备案")
    expect(page.locator("[data-steps]")).to_have_count(0)

    # 一人四访: the visit to the person himself.
    visit = page.locator('[data-visit="person"]')
    expect(visit).to_contain_text("本人")
    visit.get_by_label("回访人", exact=True).fill("镇纪委干部小刘")
    visit.get_by_label("思想状态").fill("思想包袱已放下，干事热情高")
    visit.get_by_label("工作表现").fill("积极推进村级项目")
    visit.get_by_role("button", name="保存回访记录").click()
    expect(page.locator(".flash")).to_contain_text("回访已记录")
    expect(page.locator('[data-visit="person"]')).to_contain_text("已回访")
    expect(state).to_have_text("已备案")

    # The notice downloads as a Word file named after the case.
    with page.expect_download() as download_info:
        page.locator("[data-notice]").click()
    download = download_info.value
    assert "澄清通知书" in download.suggested_filename, download.suggested_filename
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    assert download.failure() is None

    # 一人一档: the filed case and the visit on the person's file.
    page.get_by_role("link", name="一人一档 · 廉政档案").click()
    page.wait_for_url(f"{live_server}{case_path}/file")
    expect(page.locator("main h1")).to_contain_text("李建国")
    record = page.locator("[data-integrity-record] tbody tr").filter(has_text=number)
    expect(record).to_contain_text("已备案")
    expect(record).to_contain_text("村民代表大会")
    visits = page.locator("[data-visit-record] tbody tr").filter(has_text="本人")
    expect(visits).to_contain_text("镇纪委干部小刘")
    expect(visits).to_contain_text("思想包袱已放下，干事热情高")
    _log_out(page, live_server)


def test_intake_registers_a_petition_confirms_the_repeat_link_and_routes_it_down(page, live_server, factory, app):
    """An intake officer of the city registers a report, sees the earlier one at a county proposed as the same
    matter (its unit and receipt facts only), confirms it (多层 and 多头 appear) and hands the petition down to
    a township (交办), then follows it through the tracking share."""
    from playwright.sync_api import expect

    from core import calendar, context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    tree = factory.tree()
    factory.account("city-intake", [(tree.city, "intake")])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition_ops.register_petition(db.session.get(Unit, tree.county), {
            "channel": "visit", "received_on": calendar.today() - timedelta(days=20),
            "informant": {"name": "县里举报人", "phone": "13700001234"}, "accused_name": "王德发",
            "accused_work_unit": "甲县住建局", "summary": "反映王德发违规审批", "content": "县里登记的详细内容"})
        db.session.commit()

    _log_in(page, "city-intake")
    page.wait_for_url(f"{live_server}/u/{tree.city}/")
    page.locator("header.topbar").get_by_role("link", name="信访举报").click()
    page.locator("main").get_by_role("link", name="登记信访举报件").click()
    form = page.locator("form[data-petition-form]")
    form.locator('select[name="channel"]').select_option("letter")
    form.locator('input[name="informant_name"]').fill("市里举报人")
    form.locator('input[name="informant_phone"]').fill("13900004321")
    form.locator('input[name="accused_name"]').fill("王德发")
    form.locator('input[name="accused_position"]').fill("副局长")
    form.locator('input[name="accused_work_unit"]').fill("甲县住建局")
    form.get_by_label("级别").select_option("county")
    form.locator('input[name="summary"]').fill("反映王德发违规审批项目")
    form.get_by_role("button", name="登记").click()

    page.wait_for_url(re.compile(rf"/u/{tree.city}/petitions/\d+$"))
    expect(page.locator(".flash").filter(has_text="已登记")).to_have_count(1)
    expect(page.locator(".flash").filter(has_text="发现 1 件疑似重复件")).to_have_count(1)
    link = page.locator("[data-links] [data-link]")
    expect(link).to_have_count(1)
    expect(link).to_contain_text("甲县")
    expect(link).to_contain_text("来访")
    expect(link).to_contain_text("同一被反映人")
    expect(link).to_contain_text("待确认")
    expect(page.locator("main")).not_to_contain_text("县里举报人")
    expect(page.locator("main")).not_to_contain_text("县里登记的详细内容")

    link.get_by_role("button", name="确认").click()
    expect(page.locator(".flash")).to_contain_text("已确认为同一事项")
    expect(page.locator("[data-links] [data-link]")).to_contain_text("已确认同一事项")
    expect(page.locator('h1 [data-flag="multi_level"]')).to_have_text("多层")
    expect(page.locator('h1 [data-flag="multi_source"]')).to_have_text("多头")

    route = page.locator("form[data-route-form]")
    route.get_by_label("方式").select_option("assign")
    route.get_by_label("承办单位").select_option(str(tree.town))
    due = (calendar.today() + timedelta(days=30)).isoformat()
    route.get_by_label("办理期限").fill(due)
    route.get_by_label("转交意见").fill("请东镇纪委核实后报结果")
    route.get_by_role("button", name="转交").click()
    expect(page.locator(".flash")).to_contain_text("已交办东镇")
    expect(page.locator("h1 [data-state]")).to_have_text("已转交下级，跟踪中")
    routing = page.locator("[data-routing]")
    expect(routing.locator("[data-routed-to]")).to_have_text("东镇")
    expect(routing.locator("[data-routed-state]")).to_contain_text("已登记")
    expect(routing).to_contain_text(due)
    expect(page.locator("form[data-route-form]")).to_have_count(0)

    # The township's record, read through the tracking share: status yes, informant no.
    routing.locator("[data-routed-copy]").click()
    page.wait_for_url(re.compile(rf"/u/{tree.city}/petitions/\d+$"))
    expect(page.locator("main h1")).to_contain_text("东纪信")
    expect(page.locator("main")).to_contain_text("通过转办跟踪共享查看，举报人信息不予显示")
    expect(page.locator("main")).not_to_contain_text("市里举报人")
    expect(page.locator("main")).not_to_contain_text("139****4321")
    _log_out(page, live_server)


def test_province_dashboard_draws_its_charts_and_drills_down_to_a_township(page, live_server, factory, app):
    """统计分析 as the province leader: ECharts (from the npm registry, served by the app) draws every chart
    as SVG under the CSP with no console error; the children's table drills down 市 → 县 → 镇."""
    from playwright.sync_api import expect

    from tests.test_dashboards import run, seed_figures

    tree = factory.tree()
    factory.account("dash-leader", [(tree.province, "leader")])
    run(app, lambda: seed_figures(tree))
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(f"{msg.text} ({msg.location.get('url')})")
            if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico") else None)

    _log_in(page, "dash-leader")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.locator("header.topbar").get_by_role("link", name="统计分析").click()
    page.wait_for_url(f"{live_server}/u/{tree.province}/reporting")
    expect(page.locator("h1[data-dashboard-unit]")).to_have_text("测试省 · 统计分析")
    for chart in ("trend", "stages", "ranking", "gauge", "phases"):
        container = page.locator(f'[data-chart="{chart}"]')
        expect(container).to_have_attribute("data-chart-ready", "true")
        expect(container.locator("svg")).to_have_count(1)
        assert container.locator("svg path").count() >= 3, chart  # axes, lines, bars or the gauge's arcs
    # Chinese labels drawn by the chart itself (legend and axes), not only in the tables.
    expect(page.locator('[data-chart="trend"] svg text', has_text="受理信访举报")).not_to_have_count(0)
    expect(page.locator('[data-chart="ranking"] svg text', has_text="甲市")).not_to_have_count(0)
    expect(page.locator('[data-chart="gauge"] svg text', has_text="25%")).not_to_have_count(0)
    expect(page.locator('[data-table="gauge"] [data-campaign-figure="zeroing.progress"]')).to_have_text("25.0%")

    # A figure links to the children's table sorted on it; then down level by level to a township.
    page.locator('a[data-figure="petitions.open"]').click()
    expect(page.locator("#children h2")).to_contain_text("信访举报")
    expect(page.locator('[data-table="children"] th.sorted')).to_have_text("在办")
    for name, heading in (("甲市", "甲市 · 统计分析"), ("甲县", "甲县 · 统计分析"), ("东镇", "东镇 · 统计分析")):
        page.locator('[data-table="children"] a[data-drill]', has_text=name).click()
        expect(page.locator("h1[data-dashboard-unit]")).to_have_text(heading)
        expect(page.locator('[data-chart="trend"] svg')).to_have_count(1)
    expect(page.locator("[data-breadcrumb]")).to_have_text(re.compile(r"测试省\s*›\s*甲市\s*›\s*甲县\s*›\s*东镇"))
    expect(page.locator('[data-figure="petitions.open"] [data-value]')).to_have_text("2")
    expect(page.locator('[data-figure="clearing.in_progress"] [data-value]')).to_have_text("2")
    expect(page.locator('[data-table="children"]')).to_have_count(0)  # a township: no unit below
    page.locator("[data-breadcrumb]").get_by_role("link", name="测试省").click()
    expect(page.locator("h1[data-dashboard-unit]")).to_have_text("测试省 · 统计分析")
    assert not console_errors, console_errors


def test_county_defines_zones_grants_a_cross_inspection_the_grantee_inspects_until_it_expires(page, live_server,
                                                                                              factory, app):
    """协作区 end to end: the county leader defines two zones (the second first refused for a township already
    in the first), grants 东镇's officer a cross-inspection (交叉检查) of 北镇's petition and opens a round of
    cross-inspection; the officer reads the petition (no step buttons), files findings on 北镇's clearing
    case; the county sees them; three days after the grant's end the petition's URL answers 404."""
    from datetime import datetime, timezone

    import time_machine
    from playwright.sync_api import expect

    from core import calendar, context
    from core.clearing import operations as clearing_ops
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    tree = factory.tree()
    north = factory.unit("北镇", "township", "980121003", tree.county)
    middle = factory.unit("中镇", "township", "980121004", tree.county)
    factory.account("county-secretary", [(tree.county, "leader")])
    factory.account("east-officer", [(tree.town, "officer")])
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = petition_ops.register_petition(db.session.get(Unit, north), {
            "channel": "letter", "received_on": today, "anonymous": False,
            "informant": {"name": "北镇举报人", "phone": "13800002222"}, "accused_name": "钱北",
            "accused_work_unit": "北镇农业站", "summary": "反映钱北违规发放补贴"})
        candidate = clearing_ops.record_candidate(db.session.get(Unit, north), {
            "reference": "北纪信〔2026〕5号", "concluded_on": today.isoformat(), "person_name": "赵北",
            "person_work_unit": "北镇林业站", "accusation": "反映赵北问题"})
        case = clearing_ops.screen_candidate(candidate, accept=True)
        petition_id, number, case_id = petition.id, petition.number, case.id
        db.session.commit()
    ends_on = today + timedelta(days=2)

    _log_in(page, "county-secretary")
    page.wait_for_url(f"{live_server}/u/{tree.county}/")
    page.locator("header.topbar").get_by_role("link", name="协作区", exact=True).click()
    page.wait_for_url(f"{live_server}/u/{tree.county}/zones")

    def define(name, members, office):
        page.locator("[data-zones-nav]").get_by_role("link", name="设立协作区").click()
        form = page.locator("form[data-zone-form]")
        form.get_by_label("名称").fill(name)
        form.get_by_label("乡镇协作区", exact=True).check()
        for member in members:
            form.locator("[data-members-of=township]").get_by_label(member, exact=True).check()
        form.get_by_label("牵头领导").select_option(label="county-secretary 姓名")
        form.get_by_label("指导室").fill(office)
        form.get_by_role("button", name="设立").click()

    define("东片协作区", ["东镇", "北镇"], "第一纪检监察室")
    expect(page.locator("h1[data-zone-name]")).to_have_text("东片协作区")
    expect(page.locator("[data-current-convener]")).to_contain_text("东镇")
    page.locator("[data-zones-nav]").get_by_role("link", name="协作区", exact=True).click()
    define("西片协作区", ["西镇", "中镇", "北镇"], "第二纪检监察室")
    expect(page.get_by_role("alert")).to_contain_text("北镇 已属于“东片协作区”，一个单位同类协作区只能加入一个")
    form = page.locator("form[data-zone-form]")
    expect(form.get_by_label("名称")).to_have_value("西片协作区")
    form.locator("[data-members-of=township]").get_by_label("北镇", exact=True).uncheck()
    form.get_by_role("button", name="设立").click()
    expect(page.locator("h1[data-zone-name]")).to_have_text("西片协作区")

    page.locator("[data-zones-nav]").get_by_role("link", name="协作区", exact=True).click()
    expect(page.locator("[data-zone]")).to_have_count(2)
    expect(page.locator("[data-comparison] tbody tr")).to_have_count(2)
    received = page.locator("[data-comparison] tr", has_text="东片协作区").locator('[data-figure="petitions.received"]')
    expect(received).to_have_text("1")

    # The grant: 东镇's officer may read 北镇's petition until the end date.
    page.locator("[data-zones-nav]").get_by_role("link", name="授权交叉办案/检查").click()
    form = page.locator("form[data-grant-form]")
    form.get_by_label("案件所属乡镇").select_option(str(north))
    form.get_by_label("案件编号（受理编号）").fill(number)
    form.get_by_label("受托乡镇").select_option(str(tree.town))
    form.locator("[data-grantee-accounts]").get_by_label("east-officer 姓名").check()
    form.get_by_label("交叉检查（查阅）").check()
    form.get_by_label("授权事由").fill("交叉检查信访件办理质量")
    form.get_by_label("结束日期（含当日）").fill(ends_on.isoformat())
    form.get_by_role("button", name="授权").click()
    expect(page.locator(".flash")).to_contain_text("已授权")
    grant = page.locator("[data-grants] [data-grant]")
    expect(grant).to_have_attribute("data-grant-state", "active")
    expect(grant).to_contain_text("east-officer 姓名")

    # A round of cross-inspection of the zone's clearing: 东镇 inspects 北镇.
    form = page.locator("form[data-round-form]")
    form.get_by_label("检查名称").fill("第一轮交叉检查")
    form.get_by_label("结束日期").fill((today + timedelta(days=10)).isoformat())
    form.get_by_role("button", name="开展交叉检查").click()
    expect(page.locator("main h1")).to_contain_text("第一轮交叉检查")
    round_url = page.url
    expect(page.locator("[data-pair]")).to_have_count(2)
    _log_out(page, live_server)

    _log_in(page, "east-officer")
    page.wait_for_url(f"{live_server}/u/{tree.town}/")
    page.locator("header.topbar").get_by_role("link", name="协作区", exact=True).click()
    expect(page.locator("[data-zone]")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("西片协作区")
    page.locator("[data-zones-nav]").get_by_role("link", name="我的交叉办案/检查").click()
    record = f"/u/{tree.town}/petitions/{petition_id}"
    page.locator(f'[data-record-link][href="{record}"]').click()
    page.wait_for_url(f"{live_server}{record}")
    expect(page.locator("main")).to_contain_text("钱北")
    expect(page.locator("main")).not_to_contain_text("北镇举报人")
    expect(page.locator("[data-steps]")).to_have_count(0)  # inspection reads; it takes no step

    page.goto(round_url.replace(f"/u/{tree.county}/", f"/u/{tree.town}/"))
    pair = page.locator("[data-pair]")
    expect(pair).to_have_count(1)
    case_box = pair.locator(f'[data-case="{case_id}"]')
    case_box.get_by_label("是否核查全面").check()
    case_box.get_by_label("发现的问题").fill("回访记录缺失")
    pair.get_by_label("检查情况小结").fill("检查在办澄清件一件，发现问题一个")
    pair.get_by_role("button", name="报送检查结果").click()
    expect(page.locator(".flash")).to_contain_text("检查结果已报送县纪委监委")
    expect(page.locator("[data-pair-state]")).to_have_text("已报送")
    expect(page.locator("[data-findings]")).to_contain_text("回访记录缺失")
    _log_out(page, live_server)

    _log_in(page, "county-secretary")
    page.wait_for_url(f"{live_server}/u/{tree.county}/")
    page.goto(round_url)
    filed = page.locator("[data-pair]", has=page.locator('[data-pair-state="filed"]'))
    expect(filed).to_contain_text("回访记录缺失")
    filed.get_by_label("整改期限").fill((today + timedelta(days=15)).isoformat())
    filed.get_by_role("button", name="下发整改交办单").click()
    expect(page.locator(".flash")).to_contain_text("已下发整改交办单")
    _log_out(page, live_server)

    # Three days after the end date (08:00 in China) the grant has expired: the record is gone for the grantee.
    later = ends_on + timedelta(days=3)
    with time_machine.travel(datetime(later.year, later.month, later.day, 0, 0, tzinfo=timezone.utc), tick=True):
        _log_in(page, "east-officer")
        page.wait_for_url(f"{live_server}/u/{tree.town}/")
        response = page.goto(record)
        assert response.status == 404
        expect(page.locator("main h1")).to_have_text("页面不存在或您无权查看")
        page.goto(f"/u/{tree.town}/zones/grants")
        expect(page.locator("[data-grant]", has_text=number)).to_have_attribute("data-grant-state", "ended")
        expect(page.locator(f'[data-record-link][href="{record}"]')).to_have_count(0)
        _log_out(page, live_server)


def test_officer_uploads_a_scanned_letter_to_a_petition_previews_and_downloads_it(page, live_server, factory, app,
                                                                                    owner_engine):
    """附件: the officer drops a scanned letter (a PNG made here) on the petition's page, the progress bar runs,
    the page shows the file; its preview opens in the page and the download gives the same bytes."""
    from playwright.sync_api import expect
    from sqlalchemy import text

    from core import calendar, context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit
    from tests.test_attachments import png_bytes

    tree = factory.tree()
    factory.account("letter-officer", [(tree.town, "officer")])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = petition_ops.register_petition(db.session.get(Unit, tree.town), {
            "channel": "letter", "received_on": calendar.today(), "anonymous": True, "accused_name": "冯某",
            "summary": "反映冯某违规发放补贴"})
        db.session.commit()
        petition_url = f"/u/{tree.town}/petitions/{petition.id}"
    letter = png_bytes("扫描的举报信", size=48)
    try:
        _log_in(page, "letter-officer")
        page.wait_for_url(f"{live_server}/u/{tree.town}/")
        page.goto(petition_url)
        panel = page.locator("[data-attachments]")
        expect(panel.locator("[data-no-attachments]")).to_have_text("暂无附件")
        form = panel.locator("form[data-upload-form]")
        form.locator('input[type="file"]').set_input_files(
            [{"name": "举报信扫描件.png", "mimeType": "image/png", "buffer": letter}])
        expect(form.locator("[data-chosen]")).to_have_text("举报信扫描件.png")
        form.get_by_role("button", name="上传").click()
        row = page.locator("[data-attachments] tr[data-attachment]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("举报信扫描件.png")
        expect(row).to_contain_text("图片")

        row.locator("details[data-preview] summary").click()
        preview = row.locator("img.attachment-preview")
        expect(preview).to_have_count(1)
        page.wait_for_function("img => img.complete && img.naturalWidth === 48", arg=preview.element_handle())

        with page.expect_download() as download_info:
            row.get_by_role("link", name="下载").click()
        download = download_info.value
        assert download.suggested_filename == "举报信扫描件.png"
        assert open(download.path(), "rb").read() == letter
        _log_out(page, live_server)
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text("DELETE FROM attachments"))
