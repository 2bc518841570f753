"""A kept ledger (手工登记台账) exports through the one export registry (kind ``ledger_kept``, filters ``code`` and an
optional ``period``): the file lists exactly the rows the ledger's page shows, under its typed columns (a day as a date
cell, a number as a number), inline for a small ledger and as a job with its progress for a big one, on the page and
the API; a township of another county, a code outside the acting township's catalogue, a generated ledger's code and a
bad period are refused (404, the period 422 in Chinese with nothing saved); every export is audited like the others."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from html import unescape
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer, run_queued_jobs
from tests.test_exports import config, start

LIANZHENG = {"form": "警示教育", "content": "观看警示教育片", "speaker": "陈书记", "attendance": "40"}


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    people = {"officer": factory.account("w-officer", [(tree.town2, "officer")]),
              "analyst": factory.account("w-analyst", [(tree.town2, "analyst")]),
              "east": factory.account("e-officer", [(tree.town, "officer")]),
              "county": factory.account("k-officer", [(tree.county, "officer")]),
              "south": factory.account("n-officer", [(tree.other_town, "officer")]),  # 乙县: another county
              "city2": factory.account("c2-leader", [(tree.other_city, "leader")])}
    return tree, people


def _unit(unit_id):
    from tenants.models import Unit

    return db.session.get(Unit, unit_id)


def _add(app, unit_id, code, account_id, rows):
    """Rows of a kept ledger, entered through the area's own operation: [(day, values)]."""
    from core.ledgers import operations as ops
    from core.ledgers import queries

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        unit = _unit(unit_id)
        definition = queries.definition_of(unit, code)
        for day, values in rows:
            ops.add_row(unit, definition, {**values, "entry_date": day})
        db.session.commit()


def _days():
    """This month's first day and today, and a day of the month before."""
    today = calendar.today()
    first = today.replace(day=1)
    return first, today, first - timedelta(days=10)


def _fill(app, tree, people):
    first, today, earlier = _days()
    _add(app, tree.town2, "lianzheng", people["officer"], [
        (today, {**LIANZHENG, "content": "学习=SUM(A1)条例"}),  # a cell starting like a formula stays text
        (earlier, {**LIANZHENG, "form": "专题党课", "attendance": "25", "speaker": ""}),
        (first, {**LIANZHENG, "form": "集中学习", "attendance": "12.5", "material": "签到表"})])
    # Neither another kept ledger's rows nor another township's are the ledger's.
    _add(app, tree.town2, "zhuti", people["officer"], [(today, {"meeting": "主体责任会", "chair": "李书记",
                                                                "topics": "部署"})])
    _add(app, tree.town, "lianzheng", people["east"], [(today, {**LIANZHENG, "content": "东镇的学习"})])


def page_table(html: str) -> tuple[list[str], list[list[str]]]:
    """The ledger page's table as a person reads it: its header and its rows' cells."""
    table = re.search(r"<table data-rows>(.*?)</table>", html, re.S).group(1)
    header = [unescape(h).strip() for h in re.findall(r"<th>(.*?)</th>", table, re.S)]
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = [[unescape(c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return header, [r for r in rows if r]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def sheet(data: bytes) -> tuple[str, list[list]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    ws = book.worksheets[0]
    return ws.title, [list(row) for row in ws.iter_rows(values_only=True)]


def as_shown(rows: list[list], width: int) -> list[list[str]]:
    return [[_cell(v) for v in (list(row) + [None] * width)[:width]] for row in rows]


def audit_details(owner_engine, action: str) -> list[dict]:
    from core.audit.models import AuditEvent

    events = AuditEvent.__table__
    with owner_engine.connect() as conn:
        return [{**json.loads(d), "object_id": o} for d, o in conn.execute(
            select(events.c.detail, events.c.object_id).where(events.c.action == action).order_by(events.c.id))]


def test_a_kept_ledgers_export_lists_exactly_the_rows_its_page_shows_inline_and_as_a_job(
        app, world, browser, owner_engine):
    tree, people = world
    _fill(app, tree, people)
    browser.login("w-officer")
    page_url = f"/u/{tree.town2}/ledgers/lianzheng"
    html = browser.get(page_url).get_data(as_text=True)
    assert 'data-export="ledger_kept"' in html and 'name="code" value="lianzheng"' in html
    assert "data-export-one" not in html  # no longer the workbook job with one sheet
    header, shown = page_table(html)
    assert header == ["日期", "形式", "主讲人", "参加人数", "主要内容", "佐证材料", "登记人", "登记方式"]
    assert len(shown) == 3 and "东镇的学习" not in html and "主体责任会" not in html

    # Inline (a small ledger): the file at once, named after the ledger, with the page's rows in the page's order.
    inline = start(browser, tree.town2, page_url, "ledger_kept", code="lianzheng")
    assert inline.status_code == 200 and inline.mimetype.endswith("spreadsheetml.sheet")
    assert quote("西镇廉政教育台账") in inline.headers["Content-Disposition"]
    title, rows = sheet(inline.data)
    assert title == "廉政教育台账"
    assert as_shown(rows[:1], len(header))[0] == header
    assert as_shown(rows[1:], len(header)) == shown
    # Typed columns: the day is a date cell, the number a number; a formula-like text stays text.
    first, today, earlier = _days()
    assert [r[0].date() for r in rows[1:]] == sorted([first, today, earlier])
    assert sorted(r[3] for r in rows[1:]) == [12.5, 25, 40] and all(not isinstance(r[3], str) for r in rows[1:])
    assert any(r[4] == "学习=SUM(A1)条例" for r in rows[1:])

    # A big ledger: a job with the progress bar's figures, the same rows.
    with config(app, EXPORT_INLINE_ROWS=2, EXPORT_PROGRESS_EVERY=1):
        queued = start(browser, tree.town2, page_url, "ledger_kept", code="lianzheng")
        assert queued.status_code == 302 and re.search(r"/exports/\d+$", queued.location)
        run_queued_jobs(app)
    export_id = int(queued.location.rsplit("/", 1)[1])
    status = browser.get(f"/u/{tree.town2}/exports/{export_id}/status").get_json()
    assert status["state"] == "done" and status["percent"] == 100 and status["processed_rows"] == 3
    show = browser.get(queued.location).get_data(as_text=True)
    assert "已完成" in show and "西镇廉政教育台账" in show and f'href="{page_url}"' in show  # back to the ledger
    job_file = browser.get(queued.location + "/download")
    assert job_file.status_code == 200
    assert sheet(job_file.data) == (title, rows)

    # One period (the page's month filter): the page and the file list the same rows, this month's only.
    month = today.strftime("%Y-%m")
    html = browser.get(f"{page_url}?period={month}").get_data(as_text=True)
    assert f'name="period" value="{month}"' in html
    _header, this_month = page_table(html)
    assert len(this_month) == 2 and all(r[0].startswith(month) for r in this_month)
    by_month = start(browser, tree.town2, f"{page_url}?period={month}", "ledger_kept", code="lianzheng", period=month)
    assert as_shown(sheet(by_month.data)[1][1:], len(header)) == this_month

    # The audit trail: each export like every other list's, and the job's download.
    created = audit_details(owner_engine, "exports.create")
    assert [(d["kind"], d["filters"], d["rows"], d["inline"]) for d in created] == [
        ("ledger_kept", {"code": "lianzheng"}, 3, True), ("ledger_kept", {"code": "lianzheng"}, 3, False),
        ("ledger_kept", {"code": "lianzheng", "period": month}, len(this_month), True)]
    assert created[1]["object_id"] == str(export_id) or created[1]["object_id"] == export_id
    downloads = audit_details(owner_engine, "exports.download")
    assert [(d["kind"], d["rows"]) for d in downloads] == [("ledger_kept", 3)]


def test_the_api_exports_a_kept_ledger_as_a_job_and_refuses_a_bad_period(app, world, owner_engine):
    tree, people = world
    _fill(app, tree, people)
    client, h = app.test_client(), bearer(app, "w-officer")
    url = f"/api/v1/u/{tree.town2}/exports"
    bad = client.post(url, headers=h, json={"kind": "ledger_kept", "filters": {"code": "lianzheng", "period": "上个月"}})
    assert bad.status_code == 422
    assert re.search(r"[\u4e00-\u9fff]", " ".join(bad.get_json()["errors"]["period"]))
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM exports")).scalar() == 0  # nothing saved
    asked = client.post(url, headers=h, json={"kind": "ledger_kept", "filters": {"code": "lianzheng"}})
    assert asked.status_code == 202, asked.get_json()
    body = asked.get_json()
    assert body["total_rows"] == 3 and body["filename"].startswith("西镇廉政教育台账")
    run_queued_jobs(app)
    done = client.get(f"{url}/{body['id']}", headers=h).get_json()
    assert done["state"] == "done" and done["download_url"]
    title, rows = sheet(client.get(done["download_url"], headers=h).data)
    listed = client.get(f"/api/v1/u/{tree.town2}/ledgers/11/rows", headers=h).get_json()  # 第11项: 廉政教育台账
    assert title == "廉政教育台账" and as_shown(rows[:1], len(listed["header"]))[0] == listed["header"]
    assert as_shown(rows[1:], len(listed["header"])) == [[str(v) if v is not None else "" for v in row]
                                                         for row in listed["rows"]]


def test_another_county_a_code_outside_the_catalogue_and_other_roles_get_404(app, world, browser):
    from core.ledgers import operations as ledger_ops

    tree, people = world
    _fill(app, tree, people)
    # 乙市 adds a kept ledger of its own: its townships have it, 西镇 (甲市) does not.
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["city2"]), db.session):
        extra = ledger_ops.define_ledger(_unit(tree.other_city), {"title": "村务监督台账", "period": "monthly", "columns": [
            {"label": "监督事项", "type": "text", "choices": "", "required": True}]}).code
        db.session.commit()
    _add(app, tree.other_town, extra, people["south"], [(calendar.today(), {"监督事项": "村务公开"})])

    browser.login("w-officer")
    page_url = f"/u/{tree.town2}/ledgers/lianzheng"
    for code in (extra, "xinfang", "nope", ""):  # another city's ledger, a generated one, none
        assert start(browser, tree.town2, page_url, "ledger_kept", code=code).status_code == 404, code
        assert browser.get(f"/u/{tree.town2}/exports/new?kind=ledger_kept&code={code}").status_code == 404, code
    assert browser.get(f"/u/{tree.town2}/ledgers/{extra}").status_code == 404
    h = bearer(app, "w-officer")
    client = app.test_client()
    assert client.post(f"/api/v1/u/{tree.town2}/exports", headers=h,
                       json={"kind": "ledger_kept", "filters": {"code": extra}}).status_code == 404
    browser.logout()

    # 南镇 (another county): 西镇's ledger and its export are out of reach; its own ledgers export as its own.
    browser.login("n-officer")
    south_page = f"/u/{tree.other_town}/ledgers/{extra}"
    assert browser.get(page_url).status_code == 404
    assert browser.post(f"/u/{tree.town2}/exports/new", {"kind": "ledger_kept", "code": "lianzheng"},
                        form_page=south_page).status_code == 404
    assert app.test_client().post(f"/api/v1/u/{tree.town2}/exports", headers=bearer(app, "n-officer"), json={
        "kind": "ledger_kept", "filters": {"code": "lianzheng"}}).status_code == 404
    own = start(browser, tree.other_town, south_page, "ledger_kept", code=extra)
    assert own.status_code == 200
    title, rows = sheet(own.data)
    assert title == "村务监督台账" and rows[0][:2] == ["日期", "监督事项"]
    assert len(rows) == 2 and rows[1][1] == "村务公开"
    empty = start(browser, tree.other_town, f"/u/{tree.other_town}/ledgers/lianzheng", "ledger_kept", code="lianzheng")
    assert empty.status_code == 200 and len(sheet(empty.data)[1]) == 1  # 南镇's own 廉政教育台账: no row of 西镇's
    browser.logout()

    # Roles that read no ledger rows, and a unit that keeps none (the county): 404.
    browser.login("w-analyst")
    assert start(browser, tree.town2, f"/u/{tree.town2}/ledgers", "ledger_kept", code="lianzheng").status_code == 404
    browser.logout()
    browser.login("k-officer")
    assert start(browser, tree.county, f"/u/{tree.county}/ledgers", "ledger_kept",
                 code="lianzheng").status_code == 404
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from reporting.exports.models import Export

        assert db.session.scalar(select(func.count(Export.id))) == 0


def test_a_date_column_exports_as_a_date_cell(app, world, browser):
    tree, people = world
    appointed = calendar.today() - timedelta(days=400)
    _add(app, tree.town2, "xinxiyuan", people["officer"], [
        (calendar.today(), {"village": "西村", "name": "周信息员", "phone": "13700001111",
                            "appointed_on": appointed.isoformat()})])
    browser.login("w-officer")
    page_url = f"/u/{tree.town2}/ledgers/xinxiyuan"
    header, shown = page_table(browser.get(page_url).get_data(as_text=True))
    assert header[4] == "聘任日期" and shown[0][4] == appointed.isoformat()
    _title, rows = sheet(start(browser, tree.town2, page_url, "ledger_kept", code="xinxiyuan").data)
    assert isinstance(rows[1][4], datetime) and rows[1][4].date() == appointed
    assert rows[1][3] == "13700001111"  # a phone typed as text stays text
    assert as_shown(rows[1:], len(header)) == shown


def test_a_bad_period_on_the_page_is_refused_in_chinese(app, world, browser):
    tree, _people = world
    browser.login("w-officer")
    answer = browser.get(f"/u/{tree.town2}/ledgers/lianzheng?period=13月")
    assert answer.status_code == 422 and "年月" in answer.get_data(as_text=True)
    assert browser.get(f"/u/{tree.town2}/ledgers/lianzheng?period={date.today().year}").status_code == 200
