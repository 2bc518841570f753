"""18项台账 in a real browser (Chromium through Playwright).

A township officer opens the office's 18 ledgers from the top bar (each with its rows this month, its last entry and
whether it is current, stale or missing), opens a generated ledger (the petitions' own ledger rows) and a kept one,
adds a kept row through the form, and exports all 18 as one workbook: the workbook's page shows the job's progress
bar, follows it as the job runs and offers the file when it is done (one sheet per ledger).

A county officer sees the township's completeness, draws a spot check (随时抽查) of its 廉政教育台账, reads the drawn
rows (and only those), records a 合格 and a 不合格 finding with its problem and the conclusion; once the check has
ended the checker's row URLs answer 404. The county's leader issues the rectification order (整改交办单) for the
不合格 row, and the township sees the check on its ledgers' page."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests import test_browser
from tests.test_browser import _log_in, _log_out

# The browser test's fixtures (a live server, Chromium, a page that fails on a CSP error).
chromium, live_server, page = test_browser.chromium, test_browser.live_server, test_browser.page

pytestmark = pytest.mark.browser

LIANZHENG = {"form": "警示教育", "content": "观看警示教育片《围猎》", "speaker": "陈书记", "attendance": "40"}
ACCUSED = "赵德明"


def _setup(app, factory, ages=(3, 10)) -> dict:
    from core import calendar, context
    from core.extensions import db
    from core.ledgers import operations as ops
    from core.ledgers import queries
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    tree = factory.tree()
    people = {"officer": factory.account("lb-officer", [(tree.town, "officer")]),
              "county_officer": factory.account("lb-county-officer", [(tree.county, "officer")]),
              "county_leader": factory.account("lb-county-leader", [(tree.county, "leader")])}
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["officer"]), db.session):
        town = db.session.get(Unit, tree.town)
        # A petition: a row of the generated 信访举报登记台账.
        petition_ops.register_petition(town, dict(
            channel="letter", received_on=today, anonymous=False, informant={"name": "钱多多", "phone": "13900001111"},
            accused_name=ACCUSED, accused_position="村委会主任", summary="反映村委会主任违规发放低保"))
        # 廉政教育台账 (monthly): rows of the last weeks; 谈话室使用登记 (monthly): its last row 45 days ago.
        lianzheng, tanhuashi = queries.definition_of(town, "lianzheng"), queries.definition_of(town, "tanhuashi")
        kept = [ops.add_row(town, lianzheng, {**LIANZHENG, "entry_date": today - timedelta(days=age)}).id
                for age in ages]
        ops.add_row(town, tanhuashi, {"purpose": "谈话函询", "staff": "李谈", "entry_date": today - timedelta(days=45)})
        db.session.commit()
    return {"tree": tree, "people": people, "today": today, "kept": kept}


def _hold_the_workbook_job(monkeypatch) -> list:
    """The workbook's job held back (it would run inline within the request), so the page can be seen while it
    is queued and then running; the test runs it."""
    from core import jobs
    from core.ledgers import operations as ops

    held: list = []
    real = jobs.enqueue_after_commit

    def enqueue_after_commit(name, *args):
        if name == ops.BUILD_JOB:
            held.append(args)
        else:
            real(name, *args)

    monkeypatch.setattr(jobs, "enqueue_after_commit", enqueue_after_commit)
    return held


def _set_progress(owner_engine, workbook_id: int, state: str, rows: int) -> int:
    """The workbook's record as a worker leaves it while writing (behind the app's back); its total rows."""
    from sqlalchemy import text

    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE ledger_workbooks SET state = :state, processed_rows = :n WHERE id = :id"),
                     {"state": state, "n": rows, "id": workbook_id})
        return conn.execute(text("SELECT total_rows FROM ledger_workbooks WHERE id = :id"), {"id": workbook_id}).scalar()


def test_a_township_opens_its_18_ledgers_adds_a_row_and_exports_them_as_one_workbook(
        page, live_server, factory, app, owner_engine, monkeypatch, tmp_path):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from core.ledgers import jobs as ledger_jobs

    world = _setup(app, factory)
    town, today = world["tree"].town, world["today"]
    month_start = today.replace(day=1)
    lianzheng_this_month = sum(1 for age in (3, 10) if today - timedelta(days=age) >= month_start)

    _log_in(page, "lb-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.locator("header.topbar").get_by_role("link", name="工作台账").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/ledgers$"))
    expect(page.locator("main h1")).to_contain_text("工作台账（18项）")
    ledgers = page.locator("table[data-ledgers] tbody tr[data-ledger]")
    expect(ledgers).to_have_count(18)

    def cells(code):
        return page.locator(f'table[data-ledgers] tr[data-ledger="{code}"] td')

    # Each ledger: its rows this month, its last entry, and current / stale / missing.
    expect(page.locator('tr[data-ledger="lianzheng"]')).to_have_attribute("data-state", "current")
    expect(cells("lianzheng").nth(3)).to_have_text(str(lianzheng_this_month))
    expect(cells("lianzheng").nth(5)).to_have_text((today - timedelta(days=3)).isoformat())
    expect(cells("lianzheng").nth(6)).to_have_text("按期登记")
    expect(page.locator('tr[data-ledger="tanhuashi"]')).to_have_attribute("data-state", "stale")
    expect(cells("tanhuashi").nth(6)).to_have_text("未按期登记")
    expect(cells("tanhuashi").nth(5)).to_have_text((today - timedelta(days=45)).isoformat())
    expect(page.locator('tr[data-ledger="xiaowei"]')).to_have_attribute("data-state", "missing")
    expect(cells("xiaowei").nth(5)).to_have_text("—")
    expect(cells("xiaowei").nth(6)).to_have_text("尚无记录")
    expect(page.locator('tr[data-ledger="xinfang"]')).to_have_attribute("data-state", "current")
    expect(cells("xinfang").nth(3)).to_have_text("1")
    expect(cells("xinfang").nth(5)).to_have_text(today.isoformat())
    expect(page.locator("[data-summary]")).to_contain_text("未按期登记 1 项")
    page.screenshot(path=str(tmp_path / "ledgers.png"), full_page=True)

    # A generated ledger: the petitions' ledger rows, no form to type into.
    page.locator("table[data-ledgers]").get_by_role("link", name="信访举报登记台账").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/ledgers/xinfang$"))
    expect(page.locator("main h1")).to_contain_text("信访举报登记台账")
    expect(page.locator("main")).to_contain_text("平台生成")
    expect(page.locator("table[data-rows] tbody tr")).to_have_count(1)
    expect(page.locator("table[data-rows]")).to_contain_text(ACCUSED)
    expect(page.locator("section[data-new-row]")).to_have_count(0)
    page.get_by_role("link", name="返回工作台账").click()

    # A kept ledger: its rows, and a row added through the form (dated today, attributed).
    page.locator("table[data-ledgers]").get_by_role("link", name="廉政教育台账").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/ledgers/lianzheng$"))
    expect(page.locator("table[data-rows] tbody tr")).to_have_count(2)
    form = page.locator("section[data-new-row] form")
    expect(form.locator('input[name="entry_date"]')).to_have_value(today.isoformat())
    form.locator('select[name="form"]').select_option("专题党课")
    form.locator('input[name="speaker"]').fill("王书记")
    form.locator('input[name="attendance"]').fill("35")
    form.locator('input[name="content"]').fill("学习《中国共产党纪律处分条例》")
    form.get_by_role("button", name="登记").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/ledgers/lianzheng$"))
    expect(page.locator(".flash")).to_contain_text("已登记")
    expect(page.locator("table[data-rows] tbody tr")).to_have_count(3)
    added = page.locator("table[data-rows] tbody tr").last  # in date order: today's is the last
    expect(added.locator("td").first).to_have_text(today.isoformat())
    expect(added).to_contain_text("学习《中国共产党纪律处分条例》")
    expect(added).to_contain_text("专题党课")
    expect(added.locator("td").nth(-2)).to_have_text("lb-officer 姓名")  # 登记人
    expect(added.locator("td").nth(-1)).to_have_text("表单")  # 登记方式
    page.get_by_role("link", name="返回工作台账").click()
    expect(cells("lianzheng").nth(3)).to_have_text(str(lianzheng_this_month + 1))
    expect(cells("lianzheng").nth(5)).to_have_text(today.isoformat())

    # All 18 as one workbook: the job's progress bar, followed until the file is offered.
    held = _hold_the_workbook_job(monkeypatch)
    page.locator("form[data-export-all]").get_by_role("button", name=re.compile("导出全部台账")).click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/ledgers/workbooks/\d+$"))
    workbook_id = int(re.search(r"/workbooks/(\d+)$", page.url).group(1))
    assert len(held) == 1, held
    bar = page.locator("[data-job-progress] progress[data-progress-bar]")
    expect(bar).to_have_attribute("value", "0")
    expect(page.locator("[data-download]")).to_have_count(0)
    expect(page.locator("[data-progress-text]")).to_contain_text("0 / ")
    total = _set_progress(owner_engine, workbook_id, "running", 2)  # the job under way: 2 rows written
    assert total == 5, total  # the petition, the three 廉政教育 rows, the 谈话室 row
    expect(bar).to_have_attribute("value", str(100 * 2 // total))  # app.js polls the status
    expect(page.locator("[data-progress-text]")).to_have_text("正在生成：2 / 5")
    page.screenshot(path=str(tmp_path / "workbook-running.png"), full_page=True)
    _set_progress(owner_engine, workbook_id, "queued", 0)  # back as it was, for the real job to claim
    with app.app_context():
        ledger_jobs.build_workbook(*held[0])  # the worker runs the job; the page reloads itself when it is done
    download = page.locator("[data-download]")
    expect(download).to_be_visible()
    expect(page.locator("[data-job-progress]")).to_have_count(0)
    expect(page.locator("span.tag[data-state]")).to_have_attribute("data-state", "done")
    with page.expect_download() as got:
        download.click()
    assert got.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(open(got.value.path(), "rb").read()), read_only=True)
    assert len(book.sheetnames) == 18, book.sheetnames
    assert "信访举报登记台账" in book.sheetnames and "廉政教育台账" in book.sheetnames
    lianzheng = [r for r in book["廉政教育台账"].iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
    assert len(lianzheng) == 1 + 3, lianzheng  # the header and the three rows
    petitions = [r for r in book["信访举报登记台账"].iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
    assert len(petitions) == 2 and ACCUSED in petitions[1], petitions


def test_a_county_officer_runs_a_spot_check_and_then_loses_the_rows(page, live_server, factory, app,
                                                                    tmp_path):
    from playwright.sync_api import expect

    world = _setup(app, factory, ages=(3, 10, 20))
    tree, today, kept = world["tree"], world["today"], world["kept"]
    county, town = tree.county, tree.town

    _log_in(page, "lb-county-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.locator("header.topbar").get_by_role("link", name="工作台账").click()
    expect(page).to_have_url(re.compile(rf"/u/{county}/ledgers$"))
    # The county sees each township's completeness: 东镇's 谈话室使用登记 stale.
    line = page.locator(f'table[data-completeness] tr[data-town="{town}"]')
    expect(line).to_contain_text("东镇")
    expect(line.locator('[data-state="stale"]')).to_contain_text("谈话室使用登记")
    expect(page.locator("section[data-checks]")).to_contain_text("暂无抽查")

    # 随时抽查: 东镇's 廉政教育台账 over the last six weeks, two rows drawn at random of its three.
    draw = page.locator("section[data-draw] form")
    draw.locator('select[name="township_id"]').select_option(str(town))
    draw.locator('select[name="code"]').select_option(label="廉政教育台账")
    expect(draw.locator('select[name="checker_id"]')).to_have_value(str(world["people"]["county_officer"]))
    draw.locator('input[name="period_start"]').fill((today - timedelta(days=42)).isoformat())
    draw.locator('input[name="period_end"]').fill(today.isoformat())
    draw.locator('input[name="count"]').fill("2")
    draw.locator('input[name="ends_on"]').fill((today + timedelta(days=7)).isoformat())
    draw.get_by_role("button", name="抽取").click()
    expect(page).to_have_url(re.compile(rf"/u/{county}/ledgers/spot-checks/\d+$"))
    check_url = page.url
    check_id = int(re.search(r"/spot-checks/(\d+)$", check_url).group(1))
    expect(page.locator(".flash")).to_contain_text("已抽取 2 条")
    expect(page.locator("main h1")).to_contain_text("东镇 · 廉政教育台账 · 抽查")
    drawn = page.locator("table[data-drawn] tbody tr[data-row]")
    expect(drawn).to_have_count(2)
    row_ids = [int(v) for v in drawn.evaluate_all("rows => rows.map(r => r.dataset.row)")]
    assert set(row_ids) < set(kept), row_ids
    undrawn = next(i for i in kept if i not in row_ids)
    expect(page.locator("table[data-drawn]")).to_contain_text(LIANZHENG["content"])

    # The drawn rows are the checker's to read while the check lasts; no other row of the township is.
    for row_id in row_ids:
        response = page.request.get(f"/u/{county}/ledgers/spot-checks/{check_id}/rows/{row_id}")
        assert response.status == 200, (row_id, response.status)
    assert page.request.get(f"/u/{county}/ledgers/spot-checks/{check_id}/rows/{undrawn}").status == 404
    page.goto(f"/u/{county}/ledgers/spot-checks/{check_id}/rows/{row_ids[0]}")
    expect(page.locator("main")).to_contain_text(LIANZHENG["content"])
    page.get_by_role("link", name="返回抽查").click()
    expect(page).to_have_url(check_url)
    assert page.request.get(f"/u/{town}/ledgers/lianzheng").status == 404  # not a member of the township

    # Findings: the first row 合格, the second 不合格 with its problem; then the conclusion.
    first, second = (page.locator(f'table[data-drawn] tr[data-row="{i}"]') for i in row_ids)
    first.locator('select[name="verdict"]').select_option(label="合格")
    first.get_by_role("button", name="记录").click()
    expect(page.locator(".flash")).to_contain_text("已记录抽查结果")
    second.locator('select[name="verdict"]').select_option(label="不合格")
    second.locator('input[name="problem"]').fill("未附佐证材料，参加人数与签到表不符")
    second.get_by_role("button", name="记录").click()
    expect(page.locator(".flash")).to_contain_text("已记录抽查结果")
    expect(first.locator("td").nth(-3)).to_have_text("合格")
    expect(second.locator("td").nth(-3)).to_have_text("不合格")
    expect(second).to_contain_text("未附佐证材料，参加人数与签到表不符")
    # A county officer does not issue rectification orders (the leader does): no button here.
    expect(page.locator("form[data-rectify]")).to_have_count(0)
    conclude = page.locator("form[data-conclude]")
    conclude.locator('select[name="result"]').select_option(label="不合格")
    conclude.locator('input[name="conclusion"]').fill("廉政教育台账登记不规范，佐证材料缺失，限期整改")
    conclude.get_by_role("button", name="出具结论").click()
    expect(page.locator(".flash")).to_contain_text("已出具抽查结论")
    expect(page.locator("[data-conclusion]")).to_contain_text("廉政教育台账登记不规范")
    expect(page.locator("form[data-conclude]")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("已出结论")
    page.screenshot(path=str(tmp_path / "check-concluded.png"), full_page=True)

    # The check has ended: the rows are no longer the checker's to read.
    expect(page.locator("table[data-drawn]")).not_to_contain_text(LIANZHENG["content"])
    for row_id in row_ids:
        response = page.request.get(f"/u/{county}/ledgers/spot-checks/{check_id}/rows/{row_id}")
        assert response.status == 404, (row_id, response.status)
    _log_out(page, live_server)

    # The county's leader issues the rectification order for the 不合格 row, through the supervision items.
    _log_in(page, "lb-county-leader")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(check_url)
    rectify = page.locator(f'table[data-drawn] tr[data-row="{row_ids[1]}"] form[data-rectify]')
    expect(page.locator("form[data-rectify]")).to_have_count(1)
    rectify.locator('input[name="due_on"]').fill((today + timedelta(days=15)).isoformat())
    rectify.get_by_role("button", name="下发整改交办单").click()
    expect(page.locator(".flash")).to_contain_text("已下发整改交办单")
    expect(page.locator(f'table[data-drawn] tr[data-row="{row_ids[1]}"]')).to_contain_text("已下发整改交办单")
    expect(page.locator("form[data-rectify]")).to_have_count(0)
    _log_out(page, live_server)

    # The township sees the check and its result on its ledgers' page and on the ledger's page.
    _log_in(page, "lb-officer")
    page.wait_for_url(re.compile(r"/u/\d+/$"))
    page.goto(f"/u/{town}/ledgers")
    check = page.locator(f'section[data-checks] tr[data-check="{check_id}"]')
    expect(check).to_contain_text("廉政教育台账")
    expect(check).to_contain_text("已出结论")
    expect(check).to_contain_text("不合格")
    page.locator("table[data-ledgers]").get_by_role("link", name="廉政教育台账").click()
    expect(page.locator("section[data-checks]")).to_contain_text("不合格")
