"""End to end in a real browser: Debian's Chromium driven by Playwright against the app on a live server.

A member logs in, switches between two of their units with the top-bar switcher (app.js) and logs out;
a system administrator passes the second factor and creates a unit through the admin form, meeting a
form error in Chinese on the way. The pages are asked for in Chinese (zh-CN), as the users see them.
"""
from __future__ import annotations

import re
import shutil
import threading

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
    form.locator('input[name="due_on"]').fill("2099-12-31")
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
