"""18项台账: a township's standard ledgers. A generated ledger lists exactly what its area's export lists; a kept
ledger's row is typed (422 in Chinese, nothing saved) and imported from xlsx after a dry run; a ledger turns stale one
period after its last entry; completeness rolls up (the county per township, the province the share of complete
townships); the 18 ledgers as one workbook by a job; a spot check shares only the drawn rows to the checker for its
duration, records findings, issues a rectification order, and after it ends the checker gets 404; a sibling township
gets 404."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import calendar, context
from core.extensions import db
from tests.conftest import Browser, bearer, run_queued_jobs

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    people = {"town_officer": factory.account("t-officer", [(tree.town2, "officer")]),
              "town_leader": factory.account("t-leader", [(tree.town2, "leader")]),
              "town_analyst": factory.account("t-analyst", [(tree.town2, "analyst")]),
              "county_officer": factory.account("k-officer", [(tree.county, "officer")]),
              "county_leader": factory.account("k-leader", [(tree.county, "leader")]),
              "sibling": factory.account("s-officer", [(tree.town, "officer")]),
              "prov_leader": factory.account("p-leader", [(tree.province, "leader")])}
    return tree, people


def _unit(unit_id):
    from tenants.models import Unit

    return db.session.get(Unit, unit_id)


def _add_rows(app, unit_id, code, ages, account_id=None, **values):
    from core.ledgers import operations as ops
    from core.ledgers import queries

    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        unit = _unit(unit_id)
        definition = queries.definition_of(unit, code)
        ids = [ops.add_row(unit, definition, {**values, "entry_date": calendar.today() - timedelta(days=age)}).id
               for age in ages]
        db.session.commit()
        return ids


def _states(app, unit_id, today=None) -> dict:
    from core.ledgers import queries

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {s.code: s for s in queries.ledger_states(_unit(unit_id), today)}


LIANZHENG = {"form": "警示教育", "content": "观看警示教育片", "speaker": "陈书记", "attendance": "40"}


def test_a_generated_ledger_lists_exactly_what_its_areas_export_lists(app, world, browser):
    from reporting.exports.registry import EXPORTERS
    from tests.test_isolation_sweep import _victim_casework

    tree, people = world
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        _victim_casework(tree)
        db.session.commit()
    h = bearer(app, "t-officer")
    client = app.test_client()
    answer = client.get(f"/api/v1/u/{tree.town2}/ledgers/1/rows", headers=h)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    with app.app_context(), context.acting(context.ActingContext(account_id=people["town_officer"], unit_id=tree.town2,
                                                                 unit_path=_path(app, tree.town2)), db.session):
        exporter = EXPORTERS["petitions"]
        expected = [[v.isoformat() if hasattr(v, "isoformat") else v for v in row]
                    for row in exporter.rows(_unit(tree.town2), {}, calendar.today())]
        header = [str(h) for h in exporter.header()]
    assert body["header"] == header
    assert body["rows"] == expected and body["total"] == len(expected) >= 1
    # The township's page: 18 ledgers, the petitions' ledger current with this month's row.
    listed = {line["code"]: line for line in client.get(f"/api/v1/u/{tree.town2}/ledgers", headers=h).get_json()}
    assert len(listed) == 18
    assert listed["xinfang"]["state"] == "current" and listed["xinfang"]["rows_this_month"] == len(expected)
    assert listed["duban"]["total"] == 2 and listed["lianzheng"]["state"] == "missing"
    browser.login("t-officer")
    page = browser.get(f"/u/{tree.town2}/ledgers").get_data(as_text=True)
    assert 'data-ledger="xinfang" data-state="current"' in page and "廉政教育台账" in page
    assert "None" not in page
    ledger = browser.get(f"/u/{tree.town2}/ledgers/xinfang").get_data(as_text=True)
    assert all(str(cell) in ledger for cell in expected[0][:2] if cell)


def _path(app, unit_id):
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return _unit(unit_id).path


def _xlsx(rows) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def test_a_kept_ledgers_row_is_typed_and_imported_after_a_dry_run(app, world, browser):
    from core.ledgers.models import LedgerRow

    tree, people = world
    h = bearer(app, "t-officer")
    client = app.test_client()
    url = f"/api/v1/u/{tree.town2}/ledgers/11/rows"
    bad = client.post(url, headers=h, json={"entry_date": "昨天", "values": {"form": "座谈", "attendance": "很多"}})
    assert bad.status_code == 422
    reasons = " ".join(m for messages in bad.get_json()["errors"].values() for m in messages)
    assert CJK.search(reasons) and "日期" in reasons and "数字" in reasons and "主要内容" in reasons
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(func.count(LedgerRow.id))) == 0
    good = client.post(url, headers=h, json={"entry_date": calendar.today().isoformat(), "values": LIANZHENG})
    assert good.status_code == 201, good.get_json()
    row = good.get_json()
    assert row["values"]["attendance"] == 40 and row["values"]["form"] == "警示教育"
    # A generated ledger takes no typed rows; the analyst reads numbers only; the sibling township gets 404.
    assert client.post(f"/api/v1/u/{tree.town2}/ledgers/1/rows", headers=h,
                       json={"entry_date": calendar.today().isoformat()}).status_code == 422
    assert client.get(url, headers=bearer(app, "t-analyst")).status_code == 404
    assert client.get(f"/api/v1/u/{tree.town2}/ledgers", headers=bearer(app, "s-officer")).status_code == 404

    browser.login("t-officer")
    page = f"/u/{tree.town2}/ledgers/lianzheng"
    today = calendar.today().isoformat()
    data = _xlsx([["日期", "形式", "主讲人", "参加人数", "主要内容"],
                  [today, "专题党课", "王主讲", 30, "学习党章"], [today, "不存在的形式", "", 5, "内容"]])
    dry = browser.post(f"{page}/import", {"file": (io.BytesIO(data), "lz.xlsx"), "dry_run": "1"}, form_page=page,
                       content_type="multipart/form-data")
    assert dry.status_code == 200 and "data-preview" in dry.get_data(as_text=True)
    assert "应为以下之一" in dry.get_data(as_text=True)
    data = _xlsx([["日期", "形式", "主讲人", "参加人数", "主要内容"], [today, "专题党课", "王主讲", 30, "学习党章"],
                  [today, "集中学习", "", 12, "学习条例"]])
    dry = browser.post(f"{page}/import", {"file": (io.BytesIO(data), "lz.xlsx"), "dry_run": "1"}, form_page=page,
                       content_type="multipart/form-data")
    assert "可导入 2 行" in dry.get_data(as_text=True)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(func.count(LedgerRow.id))) == 1  # the dry run saved nothing
    done = browser.post(f"{page}/import", {"file": (io.BytesIO(data), "lz.xlsx"), "dry_run": "0"}, form_page=page,
                        content_type="multipart/form-data")
    assert done.status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        rows = list(db.session.scalars(select(LedgerRow).order_by(LedgerRow.id)))
        assert [r.origin for r in rows] == ["form", "import", "import"]
        assert all(r.created_by_id == people["town_officer"] for r in rows)
        assert rows[1].values == {"form": "专题党课", "speaker": "王主讲", "attendance": 30, "content": "学习党章"}
    shown = browser.get(page).get_data(as_text=True)
    assert "学习条例" in shown and "t-officer 姓名" in shown


def test_a_ledger_turns_stale_one_period_after_its_last_entry(app, world, browser):
    from core.ledgers.workflow import state_of

    tree, people = world
    _add_rows(app, tree.town2, "tanhuashi", [40], people["town_officer"], purpose="谈话函询", staff="李")
    _add_rows(app, tree.town2, "tanxin", [10], people["town_officer"], talker="甲", talkee="乙", kind="谈心谈话")
    _add_rows(app, tree.town2, "zhuti", [40], people["town_officer"], meeting="党委会", chair="陈", topics="部署")
    states = _states(app, tree.town2)
    assert states["tanhuashi"].state == "stale"  # monthly, 40 days ago
    assert states["tanxin"].state == "current"
    assert states["zhuti"].state == "current"  # quarterly
    assert _states(app, tree.town2, calendar.today() + timedelta(days=25))["tanxin"].state == "stale"
    last = calendar.today() - timedelta(days=10)
    assert state_of(last, "monthly", last + timedelta(days=28)) == "current"
    browser.login("t-leader")
    page = browser.get(f"/u/{tree.town2}/ledgers").get_data(as_text=True)
    assert 'data-ledger="tanhuashi" data-state="stale"' in page and "未按期登记" in page


def test_completeness_rolls_up_to_the_county_and_the_province(app, world, browser):
    from core.ledgers import operations as ops
    from reporting.operations import refresh_changed_units
    from reporting.periods import month_of
    from reporting.rollups import rollup

    tree, people = world
    city_leader = people["prov_leader"]
    with app.app_context(), context.acting(context.maintenance_context(account_id=city_leader), db.session):
        # The province's catalogue: two kept ledgers only (the rest archived), inherited by every township.
        province = _unit(tree.province)
        for definition in ops.ensure_catalogue(province):
            if definition.code not in ("lianzheng", "tanxin"):
                ops.archive_definition(province, definition.code)
        db.session.commit()
    _add_rows(app, tree.town2, "lianzheng", [3], people["town_officer"], **LIANZHENG)
    _add_rows(app, tree.town2, "tanxin", [5], people["town_officer"], talker="甲", talkee="乙", kind="谈心谈话")
    _add_rows(app, tree.town, "lianzheng", [60], people["sibling"], **LIANZHENG)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        refresh_changed_units(calendar.today())
        ops.refresh(_unit(tree.other_town), calendar.today())
        db.session.commit()
    from core.ledgers.queries import completeness_by_unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        got = completeness_by_unit([_unit(tree.town), _unit(tree.town2), _unit(tree.county)], calendar.today())
        assert got == {tree.town2: {"current": 2, "stale": 0, "missing": 0, "total": 2},
                       tree.town: {"current": 0, "stale": 1, "missing": 1, "total": 2}}
        line = rollup(_unit(tree.province), month_of(calendar.today()),
                      ["ledgers.complete_units", "ledgers.townships", "ledgers.complete_share", "ledgers.stale",
                       "ledgers.missing", "ledgers.current"])
        assert (line["ledgers.complete_units"], line["ledgers.townships"]) == (1, 3)
        assert line["ledgers.current"] == 2 and line["ledgers.stale"] == 1 and line["ledgers.missing"] == 3
        assert round(line["ledgers.complete_share"]) == 33
        # Time passes without a write: the daily refresh finds 西镇's ledgers stale one period after their entries.
        ops.refresh(_unit(tree.town2), calendar.today() + timedelta(days=40))
        db.session.commit()
        later = rollup(_unit(tree.county), month_of(calendar.today()), ["ledgers.stale", "ledgers.complete_units"])
        assert (later["ledgers.stale"], later["ledgers.complete_units"]) == (3, 0)
    county = app.test_client().get(f"/api/v1/u/{tree.county}/ledgers", headers=bearer(app, "k-officer")).get_json()
    assert {c["name"]: (c["current"], c["stale"], c["missing"]) for c in county} == {"东镇": (0, 1, 1),
                                                                                     "西镇": (2, 0, 0)}
    browser.login("k-leader")
    page = browser.get(f"/u/{tree.county}/ledgers").get_data(as_text=True)
    assert "东镇" in page and "廉政教育台账（未按期登记）" in page and "谈心谈话台账（尚无记录）" in page
    browser.logout()
    browser.login("p-leader")
    page = browser.get(f"/u/{tree.province}/ledgers").get_data(as_text=True)
    assert "甲市" in page and "50.0%" in page and "乙市" in page


def test_all_ledgers_export_as_one_workbook_by_a_job(app, world, browser):
    from openpyxl import load_workbook

    from tests.test_isolation_sweep import _victim_casework

    tree, people = world
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        _victim_casework(tree)
        db.session.commit()
    _add_rows(app, tree.town2, "lianzheng", [3, 2], people["town_officer"], **LIANZHENG)
    browser.login("t-leader")
    started = browser.post(f"/u/{tree.town2}/ledgers/workbooks", {}, form_page=f"/u/{tree.town2}/ledgers")
    assert started.status_code == 302
    run_queued_jobs(app)
    page = browser.get(started.location).get_data(as_text=True)
    assert "已完成" in page, page
    status = browser.get(started.location + "/status").get_json()
    assert status["percent"] == 100 and not status["running"]
    download = browser.get(started.location + "/download")
    book = load_workbook(io.BytesIO(download.data), read_only=True)
    assert len(book.sheetnames) == 18 and "廉政教育台账" in book.sheetnames
    rows = list(book["廉政教育台账"].iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "形式", "主讲人") and len(rows) == 3
    assert len(list(book["信访举报登记台账"].iter_rows(values_only=True))) == 1 + status["total_rows"] - 2 - sum(
        max(len(list(book[name].iter_rows(values_only=True))) - 1, 0) for name in book.sheetnames
        if name not in ("信访举报登记台账", "廉政教育台账"))
    # Only its requester opens it; the sibling township gets 404.
    browser.logout()
    browser.login("t-officer")
    assert browser.get(started.location).status_code == 404


def test_a_spot_check_shares_only_the_drawn_rows_for_its_duration(app, world, browser, factory):
    from core.ledgers.models import SpotCheck
    from core.supervision.models import SupervisionItem
    from reporting import reconcile
    from tenants.models import Share, UnitStat

    tree, people = world
    ids = _add_rows(app, tree.town2, "lianzheng", [9, 7, 5, 3], people["town_officer"], **LIANZHENG)
    h = bearer(app, "k-officer")
    client = app.test_client()
    today = calendar.today()
    body = {"township_id": tree.town2, "code": "lianzheng", "period_start": (today - timedelta(days=8)).isoformat(),
            "period_end": today.isoformat(), "positions": [1, 3], "checker_id": people["county_officer"],
            "ends_on": (today + timedelta(days=3)).isoformat()}
    bad = client.post(f"/api/v1/u/{tree.county}/spot-checks", headers=h, json={**body, "township_id": tree.other_town,
                                                                              "checker_id": people["sibling"]})
    assert bad.status_code == 422 and {"township_id", "checker_id"} <= set(bad.get_json()["errors"])
    drawn = client.post(f"/api/v1/u/{tree.county}/spot-checks", headers=h, json=body)
    assert drawn.status_code == 201, drawn.get_json()
    check = drawn.get_json()
    assert check["row_ids"] == [ids[1], ids[3]]  # the 1st and 3rd of the period (days 7 and 3 ago)
    base = f"/u/{tree.county}/ledgers/spot-checks/{check['id']}"
    browser.login("k-officer")
    inbox = browser.get(f"/u/{tree.county}/inbox").get_data(as_text=True)
    assert "台账抽查：西镇廉政教育台账，2 条" in inbox and base in inbox
    assert browser.get(f"{base}/rows/{ids[1]}").status_code == 200
    assert browser.get(f"{base}/rows/{ids[0]}").status_code == 404  # not drawn
    page = browser.get(base).get_data(as_text=True)
    assert page.count("观看警示教育片") == 2
    # A county leader who is not the checker reads no row; neither does the sibling township.
    leader = Browser(app, factory)
    leader.login("k-leader")
    assert leader.get(f"{base}/rows/{ids[1]}").status_code == 404
    assert "观看警示教育片" not in leader.get(base).get_data(as_text=True)
    sibling = Browser(app, factory)
    sibling.login("s-officer")
    assert sibling.get(f"/u/{tree.town}/ledgers/spot-checks/{check['id']}").status_code == 404
    assert sibling.get(f"/u/{tree.town2}/ledgers").status_code == 404
    # Findings: 不合格 needs its problem (422, Chinese); then recorded; the leader turns it into a rectification order.
    findings = f"/api/v1/u/{tree.county}/spot-checks/{check['id']}/findings"
    missing = client.post(findings, headers=h, json={"row_id": ids[3], "verdict": "fail"})
    assert missing.status_code == 422 and "问题" in missing.get_json()["errors"]["problem"][0]
    assert client.post(findings, headers=h, json={"row_id": ids[0], "verdict": "pass"}).status_code == 422
    assert client.post(findings, headers=h, json={"row_id": ids[1], "verdict": "pass"}).status_code == 201
    assert client.post(findings, headers=h, json={"row_id": ids[3], "verdict": "fail",
                                                  "problem": "缺少签到表"}).status_code == 201
    assert client.post(findings, headers=bearer(app, "k-leader"), json={"row_id": ids[1], "verdict": "fail",
                                                                        "problem": "x"}).status_code == 422
    browser.logout()
    browser.login("k-leader")
    rectified = browser.post(f"{base}/rectify", {"row_id": ids[3], "due_on": (today + timedelta(days=10)).isoformat()},
                             form_page=base)
    assert rectified.status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        item = db.session.scalar(select(SupervisionItem).where(SupervisionItem.kind == "rectification"))
        assert item.recipient_unit_id == tree.town2 and item.problems[0].description == "缺少签到表"
    # The township sees the check and its findings on its ledger page.
    town = Browser(app, factory)
    town.login("t-leader")
    shown = town.get(f"/u/{tree.town2}/ledgers").get_data(as_text=True)
    assert f'data-check="{check["id"]}"' in shown
    assert "缺少签到表" in town.get(f"/u/{tree.town2}/ledgers/spot-checks/{check['id']}").get_data(as_text=True)
    # The conclusion ends the shares: the checker gets 404 on the rows, the check stays.
    concluded = client.post(f"/api/v1/u/{tree.county}/spot-checks/{check['id']}/conclusion", headers=h,
                            json={"result": "unqualified", "conclusion": "登记不规范，限期整改"})
    assert concluded.status_code == 200, concluded.get_json()
    browser.logout()
    browser.login("k-officer")
    assert browser.get(f"{base}/rows/{ids[1]}").status_code == 404
    assert "抽查已结束" in browser.get(base).get_data(as_text=True)
    # A second check whose time ran out: its shares expired by themselves.
    second = client.post(f"/api/v1/u/{tree.county}/spot-checks", headers=h,
                         json={**body, "positions": [], "count": 1}).get_json()
    assert browser.get(f"/u/{tree.county}/ledgers/spot-checks/{second['id']}/rows/{second['row_ids'][0]}"
                       ).status_code == 200
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        shares = db.session.scalars(select(Share).where(Share.id.in_(
            db.session.get(SpotCheck, second["id"]).share_ids))).all()
        for share in shares:
            share.expires_at = share.expires_at - timedelta(days=10)
        db.session.commit()
    assert browser.get(f"/u/{tree.county}/ledgers/spot-checks/{second['id']}/rows/{second['row_ids'][0]}"
                       ).status_code == 404
    # Figures: the checks, the failed finding, the unqualified conclusion; the recount agrees.
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        stats = {r.metric: r.value for r in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == tree.county, UnitStat.period == "", UnitStat.metric.like("ledgers.%")))}
        assert stats == {"ledgers.spot_checks": 2, "ledgers.spot_findings.failed": 1,
                         "ledgers.spot_checks.concluded": 1, "ledgers.spot_checks.unqualified": 1}
        for unit_id in (tree.county, tree.town2):
            drifts = [d for d in reconcile.reconcile_unit(_unit(unit_id), today) if d.metric.startswith("ledgers.")]
            assert drifts == []


def test_the_ledgers_api_is_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/u/{unit_id}/ledgers", "/u/{unit_id}/ledgers/{number}/rows",
            "/u/{unit_id}/spot-checks", "/u/{unit_id}/spot-checks/{spot_check_id}/findings"} <= set(paths)


def test_the_demo_fills_chengguan_ledgers_and_holds_a_spot_check_with_a_rectification(app, factory):
    from core.ledgers import queries
    from core.ledgers.models import SpotCheck
    from core.supervision.models import SupervisionItem
    from tenants.models import Unit

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.scalar(select(Unit).where(Unit.code == "990121001"))
        states = {s.code: s for s in queries.ledger_states(town)}
        assert len(states) == 18
        assert states["tanhuashi"].state == "stale"
        assert all(states[c].state == "current" for c in ("lianzheng", "zhuti", "xinxiyuan", "xiaowei", "jiandu",
                                                           "tanxin", "lvze", "xinfang"))
        check = db.session.scalar(select(SpotCheck))
        assert check.township_id == town.id and check.unit_id == town.parent_id
        failed = [f for f in check.findings if f.verdict == "fail"]
        assert len(failed) == 1 and failed[0].supervision_item_id
        item = db.session.get(SupervisionItem, failed[0].supervision_item_id)
        assert item.kind == "rectification" and item.recipient_unit_id == town.id
        town_id, county_id, check_id, codes = town.id, town.parent_id, check.id, list(states)
        province_id = db.session.scalar(select(Unit.id).where(Unit.code == "990000"))
    # The pages as people read them: in Chinese, no None, no raw codes, no English.
    from tenants.demo import DEMO_PASSWORD
    from tests.test_page_crawl import problems_of, visible_text

    pages = {"town-leader": [f"/u/{town_id}/ledgers", *[f"/u/{town_id}/ledgers/{c}" for c in codes],
                             f"/u/{town_id}/ledgers/spot-checks/{check_id}"],
             "county-leader": [f"/u/{county_id}/ledgers", f"/u/{county_id}/ledgers/spot-checks/{check_id}"],
             "prov-leader": [f"/u/{province_id}/ledgers"]}
    for username, urls in pages.items():
        browser = Browser(app, factory)
        browser.login(username, DEMO_PASSWORD, second_factor=False)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, (username, url, response.status_code)
            words = visible_text(response.get_data(as_text=True), {username})
            assert problems_of(words) == [], (username, url, problems_of(words))
        if username == "county-leader":
            shown = browser.get(f"/u/{county_id}/ledgers/spot-checks/{check_id}").get_data(as_text=True)
            assert "缺少参加人员签到表" in shown and "已下发整改交办单" in shown
