"""清廉村居: a township's villages (added with their codes checked, imported from an xlsx with a dry run), the
county's grading round from criteria to grades (scores, a leader's override with its reason, the county's
confirmation), a C village's plan (一村一方案) closed out item by item and the regrade the county confirms, a missed
monthly report warning in the inbox, the 重点问题督改单 naming the village and its problems, the figures moving with
each write and agreeing with their recount, and a sibling township getting 404 on every village and plan."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from tests.conftest import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def _people(factory, tree) -> dict:
    return {"county_leader": factory.account("v-county-leader", [(tree.county, "leader")]),
            "county_officer": factory.account("v-county-officer", [(tree.county, "officer")]),
            "leader": factory.account("v-leader", [(tree.town, "leader")]),
            "officer": factory.account("v-officer", [(tree.town, "officer")]),
            "stranger": factory.account("v-west", [(tree.town2, "officer")]),
            "stranger_leader": factory.account("v-west-leader", [(tree.town2, "leader")])}


def _run(app, account_id, work):
    with app.app_context(), context.acting(context.maintenance_context(account_id=account_id), db.session):
        result = work()
        db.session.commit()
        return result


def _stats(app, unit_id: int) -> dict:
    from tenants.models import UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.period == "", UnitStat.metric.like("villages.%")))}


def _recount_agrees(app, unit_id: int) -> None:
    from core.villages import operations as ops
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.metric.like("villages.%"))) if row.value}
        counted = ops.recount(db.session.get(Unit, unit_id), calendar.today())
    assert stored == counted


def _round(app, tree, people, **extra) -> int:
    from core.villages import operations as ops
    from tenants.models import Unit

    return _run(app, people["county_officer"], lambda: ops.open_round(db.session.get(Unit, tree.county), dict(
        {"name": "清廉村居定期研判", "period": "2026上半年"}, **extra)).id)


def _village(app, tree, people, name: str, suffix: str, unit=None) -> int:
    from core.villages import operations as ops
    from tenants.models import Unit

    unit_id = unit or tree.town
    code = {tree.town: "980121001", tree.town2: "980121002"}[unit_id] + suffix
    return _run(app, people["officer"], lambda: ops.add_village(db.session.get(Unit, unit_id), {
        "name": name, "code": code, "kind": "village", "secretary_name": "王书记", "head_name": "李主任"}).id)


def _graded(app, tree, people, village_id: int, round_id: int, level: int, *, days_ago: int = 0) -> int:
    """The village scored at ``level`` on every criterion, submitted and confirmed ``days_ago``."""
    from core.villages import operations as ops
    from core.villages.models import GradingRound, Village
    from tenants.models import Unit

    on = calendar.today() - timedelta(days=days_ago)

    def work():
        round_ = db.session.get(GradingRound, round_id)
        grading = ops.start_grading(db.session.get(Village, village_id), round_)
        ops.score(grading, {c["key"]: {"score": level, "note": "依据"} for c in round_.criteria})
        ops.submit(grading, on=on)
        if grading.state == "proposed":
            ops.confirm(grading, db.session.get(Unit, tree.county), on=on)
        return grading.id

    return _run(app, people["officer"], work)


def _plan(app, people, village_id: int, *, issued_days_ago: int = 0, deadlines=(30, 60)) -> int:
    from core.villages import operations as ops
    from core.villages.models import Village

    issued_on = calendar.today() - timedelta(days=issued_days_ago)
    return _run(app, people["officer"], lambda: ops.create_plan(db.session.get(Village, village_id), {
        "party_secretary": "陈书记", "discipline_secretary": "刘纪委", "issued_on": issued_on.isoformat(),
        "items": [{"problem": f"问题{n}：宅基地征地久拖不决" if n == 1 else f"问题{n}：三资台账不清",
                   "measure": f"措施{n}", "responsible": "蒋联村", "responsible_position": "联村干部",
                   "deadline": (issued_on + timedelta(days=d)).isoformat()} for n, d in enumerate(deadlines, 1)]}).id)


def test_a_grading_round_from_criteria_to_grades(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    client = app.test_client()
    county, officer = bearer(app, "v-county-officer"), bearer(app, "v-officer")

    # The county's round: the weights must add up to 100, the lines be in order; refused in Chinese, nothing saved.
    bad = client.post(f"/api/v1/u/{tree.county}/grading-rounds", headers=county, json={
        "name": "研判", "period": "2026上半年", "threshold_a": 60, "threshold_b": 80,
        "criteria": [{"name": "作风纪律", "weight": 50}, {"name": "三资管理", "weight": 30}]})
    assert bad.status_code == 422
    fields = bad.get_json()["errors"]
    assert "criteria" in fields and "threshold_b" in fields and all(CJK.search(m) for m in sum(fields.values(), []))
    assert client.get(f"/api/v1/u/{tree.county}/grading-rounds", headers=county).get_json()["items"] == []
    # A township sets no round.
    assert client.post(f"/api/v1/u/{tree.town}/grading-rounds", headers=officer, json={}).status_code == 404
    made = client.post(f"/api/v1/u/{tree.county}/grading-rounds", headers=county, json={
        "name": "清廉村居定期研判", "period": "2026上半年", "threshold_a": 85, "threshold_b": 70})
    assert made.status_code == 201, made.get_json()
    round_ = made.get_json()
    assert [c["name"] for c in round_["criteria"]] == ["作风纪律", "三资管理", "村级工程", "村务管理运行", "群众反映"]
    # The township reads its county's round.
    assert [r["id"] for r in client.get(f"/api/v1/u/{tree.town}/grading-rounds", headers=officer).get_json()["items"]] \
        == [round_["id"]]

    # Villages: the code's first 9 digits are the township's own.
    refused = client.post(f"/api/v1/u/{tree.town}/villages", headers=officer,
                          json={"name": "外村", "code": "980121002201", "kind": "village"})
    assert refused.status_code == 422 and "980121001" in refused.get_json()["errors"]["code"][0]
    ids = {}
    for name, code in (("东岗村", "980121001201"), ("双溪村", "980121001202")):
        response = client.post(f"/api/v1/u/{tree.town}/villages", headers=officer,
                               json={"name": name, "code": code, "kind": "village", "secretary_name": "王书记"})
        assert response.status_code == 201, response.get_json()
        ids[name] = response.get_json()["id"]
    assert _stats(app, tree.town) == {"villages.count": 2}

    # Scores: out of range refused; then every criterion, and the submission (the county confirms).
    wrong = client.post(f"/api/v1/u/{tree.town}/villages/{ids['东岗村']}/gradings", headers=officer, json={
        "round_id": round_["id"], "scores": {"conduct": {"score": 120}}})
    assert wrong.status_code == 422 and "0 到 100" in wrong.get_json()["errors"]["scores.conduct.score"][0]
    for name, level in (("东岗村", 92), ("双溪村", 60)):
        graded = client.post(f"/api/v1/u/{tree.town}/villages/{ids[name]}/gradings", headers=officer, json={
            "round_id": round_["id"], "submit": True,
            "scores": {c["key"]: {"score": level, "note": "日常监督"} for c in round_["criteria"]}})
        assert graded.status_code == 200, graded.get_json()
        assert graded.get_json()["state"] == "proposed"
    assert client.get(f"/api/v1/u/{tree.town}/villages/{ids['东岗村']}", headers=officer).get_json()["grade"] is None

    leader = bearer(app, "v-county-leader")
    proposed = client.get(f"/api/v1/u/{tree.county}/grading-rounds/{round_['id']}/gradings?state=proposed",
                          headers=leader).get_json()["items"]
    assert {(g["village_name"], g["grade"], g["total"]) for g in proposed} == {("东岗村", "A", 92), ("双溪村", "C", 60)}
    # The county officer reads but does not confirm; the leader does.
    assert client.post(f"/api/v1/u/{tree.county}/village-gradings/{proposed[0]['id']}/decision", headers=county,
                       json={"decision": "confirm"}).status_code == 404
    for grading in proposed:
        done = client.post(f"/api/v1/u/{tree.county}/village-gradings/{grading['id']}/decision", headers=leader,
                           json={"decision": "confirm"})
        assert done.status_code == 200 and done.get_json()["state"] == "in_force"
    assert client.get(f"/api/v1/u/{tree.town}/villages/{ids['双溪村']}", headers=officer).get_json()["grade"] == "C"
    history = client.get(f"/api/v1/u/{tree.town}/villages/{ids['东岗村']}/gradings", headers=officer).get_json()
    assert [g["grade"] for g in history["items"]] == ["A"]
    assert _stats(app, tree.town) == {"villages.count": 2, "villages.grade.a": 1, "villages.grade.c": 1}
    _recount_agrees(app, tree.town)


def test_a_leaders_override_is_kept_with_its_reason(app, factory, browser):
    from core.villages import operations as ops
    from core.villages.models import GradingRound, Village, VillageGrading

    tree = factory.tree()
    people = _people(factory, tree)
    round_id = _round(app, tree, people, needs_confirmation=False)
    village_id = _village(app, tree, people, "东岗村", "201")

    def scored():
        round_ = db.session.get(GradingRound, round_id)
        grading = ops.start_grading(db.session.get(Village, village_id), round_)
        ops.score(grading, {c["key"]: {"score": 90} for c in round_.criteria})
        return grading.id

    grading_id = _run(app, people["officer"], scored)
    # An officer may not override: the form is not there and the post is 404.
    browser.login("v-officer")
    page = browser.get(f"/u/{tree.town}/villages/gradings/{grading_id}").get_data(as_text=True)
    assert "data-score-form" in page and "data-override-form" not in page
    assert browser.post(f"/u/{tree.town}/villages/gradings/{grading_id}/override", {"grade": "B", "reason": "x"},
                        form_page=f"/u/{tree.town}/villages/gradings/{grading_id}").status_code == 404
    browser.logout()
    browser.login("v-leader")
    url = f"/u/{tree.town}/villages/gradings/{grading_id}"
    no_reason = browser.post(f"{url}/override", {"grade": "B", "reason": ""}, form_page=url)
    assert no_reason.status_code == 422 and "调整评定等次须写明理由" in no_reason.get_data(as_text=True)
    assert browser.post(f"{url}/override", {"grade": "B", "reason": "村级工程结算问题尚在核实"},
                        form_page=url).status_code == 302
    assert browser.post(f"{url}/scores", {"submit": "1", **{f"score-{k}": "90" for k in
                        ("conduct", "assets", "projects", "affairs", "opinion")}}, form_page=url).status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        grading = db.session.get(VillageGrading, grading_id)
        assert (grading.computed_grade, grading.grade, grading.state) == ("A", "B", "in_force")
        assert db.session.get(Village, village_id).grade == "B"
    village_page = browser.get(f"/u/{tree.town}/villages/{village_id}").get_data(as_text=True)
    assert "村级工程结算问题尚在核实" in village_page and 'data-move="new"' in village_page
    assert _stats(app, tree.town)["villages.grade.b"] == 1
    _recount_agrees(app, tree.town)


def test_a_c_villages_plan_is_closed_out_and_the_county_confirms_the_regrade(app, factory, browser):
    from core.villages.models import Village, VillagePlan

    tree = factory.tree()
    people = _people(factory, tree)
    round_id = _round(app, tree, people)
    village_id = _village(app, tree, people, "双溪村", "202")
    _graded(app, tree, people, village_id, round_id, 60, days_ago=3)

    browser.login("v-officer")
    village_url = f"/u/{tree.town}/villages/{village_id}"
    assert "data-plan-form" in browser.get(village_url).get_data(as_text=True)
    deadline = (calendar.today() + timedelta(days=30)).isoformat()
    empty = browser.post(f"{village_url}/plan", {"party_secretary": "陈书记", "discipline_secretary": "刘纪委"},
                         form_page=village_url)
    assert empty.status_code == 302  # refused: back to the village with the reason, nothing saved
    assert "请至少列出一个问题" in browser.get(village_url).get_data(as_text=True)
    made = browser.post(f"{village_url}/plan", {
        "party_secretary": "陈书记", "discipline_secretary": "刘纪委",
        "items-0-problem": "安置区块宅基地征地久拖不决", "items-0-measure": "逐户上门做工作",
        "items-0-responsible": "蒋联村", "items-0-deadline": deadline,
        "items-1-problem": "三资台账不清", "items-1-measure": "清理合同并公开", "items-1-responsible": "李站长",
        "items-1-deadline": deadline}, form_page=village_url)
    assert made.status_code == 302
    plan_url = made.location
    assert _stats(app, tree.town)["villages.c_with_plan"] == 1
    assert _stats(app, tree.town)["villages.plan_items.open"] == 2
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        plan = db.session.scalar(select(VillagePlan).where(VillagePlan.village_id == village_id))
        item_ids = [i.id for i in plan.items]
    # 销号 without its evidence is refused; with it, the item is closed.
    no_evidence = browser.post(f"{plan_url}/items/{item_ids[0]}/close", {"evidence": ""}, form_page=plan_url)
    assert no_evidence.status_code == 422 and "销号依据" in no_evidence.get_data(as_text=True)
    for item_id in item_ids:
        assert browser.post(f"{plan_url}/items/{item_id}/close", {"evidence": "征地已完成，协议已归档"},
                            form_page=plan_url).status_code == 302
    page = browser.get(plan_url).get_data(as_text=True)
    assert 'data-plan-state="closed"' in page and page.count('data-item-state="closed"') == 2
    stats = _stats(app, tree.town)
    assert stats["villages.plan_items.closed"] == 2 and stats.get("villages.plan_items.open", 0) == 0
    browser.logout()

    # The township's leader proposes the regrade; the county's leader confirms it.
    browser.login("v-leader")
    assert "data-regrade-form" in browser.get(village_url).get_data(as_text=True)
    assert browser.post(f"{village_url}/regrade", {"grade": "B", "reason": "问题全部整改销号"},
                        form_page=village_url).status_code == 302
    browser.logout()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.get(Village, village_id).grade == "C"  # until the county confirms
    browser.login("v-county-leader")
    overview = browser.get(f"/u/{tree.county}/villages").get_data(as_text=True)
    assert "data-regrades" in overview and "双溪村" in overview
    from core.villages.models import VillageGrading
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        proposal = db.session.scalar(select(VillageGrading.id).where(VillageGrading.kind == "extraordinary"))
    grading_url = f"/u/{tree.county}/villages/gradings/{proposal}"
    assert "data-confirm-grading" in browser.get(grading_url).get_data(as_text=True)
    assert browser.post(f"{grading_url}/confirm", form_page=grading_url).status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.get(Village, village_id).grade == "B"
        assert db.session.scalar(select(VillagePlan.state).where(VillagePlan.village_id == village_id)) == "lifted"
    stats = _stats(app, tree.town)
    assert stats["villages.grade.b"] == 1 and stats.get("villages.grade.c", 0) == 0
    assert stats.get("villages.c_with_plan", 0) == 0 and stats["villages.lifted_from_c"] == 1
    _recount_agrees(app, tree.town)


def test_a_missed_monthly_report_warns_the_township_leader(app, factory, browser):
    from core.inbox.models import InboxItem
    from core.villages import operations as ops
    from core.villages.models import VillagePlan

    tree = factory.tree()
    people = _people(factory, tree)
    round_id = _round(app, tree, people)
    village_id = _village(app, tree, people, "双溪村", "202")
    _graded(app, tree, people, village_id, round_id, 60, days_ago=75)
    plan_id = _plan(app, people, village_id, issued_days_ago=70, deadlines=(10, 200))
    last_month = ops.last_completed_month(calendar.today()).strftime("%Y-%m")

    result = _run(app, None, lambda: ops.scan(calendar.today()))
    assert result["warned"] >= 2  # the overdue item and last month's report
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        titles = [i.title for i in db.session.scalars(select(InboxItem).where(
            InboxItem.unit_id == tree.town, InboxItem.done_at.is_(None)))]
    assert any("未听取汇报" in t and last_month in t and "双溪村" in t for t in titles)
    assert any("逾期未销号" in t for t in titles)
    stats = _stats(app, tree.town)
    assert stats["villages.monthly_reports.missed"] >= 2 and stats["villages.plan_items.overdue"] == 1
    _recount_agrees(app, tree.town)
    assert _run(app, None, lambda: ops.scan(calendar.today()))["warned"] == 0  # once per month

    browser.login("v-leader")
    inbox = browser.get(f"/u/{tree.town}/inbox").get_data(as_text=True)
    assert "未听取汇报" in inbox
    plan_url = f"/u/{tree.town}/villages/plans/{plan_id}"
    assert "data-missed" in browser.get(plan_url).get_data(as_text=True)
    bad = browser.post(f"{plan_url}/reports", {"month": last_month, "heard_by": "", "content": ""}, form_page=plan_url)
    assert bad.status_code == 422 and "一把手" in bad.get_data(as_text=True)
    assert browser.post(f"{plan_url}/reports", {"month": last_month, "heard_on": calendar.today().isoformat(),
                                                "heard_by": "陈书记", "content": "汇报征地进展"},
                        form_page=plan_url).status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        open_titles = [i.title for i in db.session.scalars(select(InboxItem).where(
            InboxItem.unit_id == tree.town, InboxItem.done_at.is_(None)))]
        plan = db.session.get(VillagePlan, plan_id)
        still_missed = ops.missed_months(plan, calendar.today())
    assert not any(last_month in t and "未听取汇报" in t for t in open_titles)
    assert last_month not in still_missed
    assert _stats(app, tree.town)["villages.monthly_reports.missed"] == len(still_missed)
    _recount_agrees(app, tree.town)


def test_the_rectification_order_names_the_village_and_its_problems(app, factory, browser):
    tree = factory.tree()
    people = _people(factory, tree)
    round_id = _round(app, tree, people)
    village_id = _village(app, tree, people, "双溪村", "202")
    _graded(app, tree, people, village_id, round_id, 60)
    plan_id = _plan(app, people, village_id)
    browser.login("v-officer")
    response = browser.get(f"/u/{tree.town}/villages/plans/{plan_id}/order.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        text = re.sub(r"<[^>]+>", "", archive.read("word/document.xml").decode())
    for expected in ("重点问题督改单", "双溪村", "问题1：宅基地征地久拖不决", "问题2：三资台账不清", "措施1", "蒋联村",
                     "党委书记：陈书记", "纪委书记：刘纪委", "东镇", "2026上半年"):
        assert expected in text, expected
    assert "{{" not in text
    pdf = browser.get(f"/u/{tree.town}/villages/plans/{plan_id}/order.pdf")
    assert pdf.status_code in (200, 302)  # at once when made, else the page that waits for the conversion
    if pdf.status_code == 302:
        assert "/renditions/" in pdf.location
        assert browser.get(pdf.location).status_code == 200


def test_villages_import_from_xlsx_with_a_dry_run(app, factory, browser):
    from openpyxl import Workbook

    from core.villages.models import Village

    tree = factory.tree()
    _people(factory, tree)

    def sheet(rows) -> bytes:
        book = Workbook()
        book.active.append(["名称", "区划代码", "类型", "党组织书记", "村（居）委会主任"])
        for row in rows:
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    good = [["东岗村", "980121001201", "村", "王一", "李一"], ["城南社区", 980121001001, "社区", "王二", "李二"]]
    bad = good + [["外镇村", "980121002203", "村", "", ""]]
    browser.login("v-officer")
    url = f"/u/{tree.town}/villages/import"

    def upload(data: bytes, mode: str):
        return browser.post(url, {"mode": mode, "file": (io.BytesIO(data), "村居.xlsx")}, form_page=url,
                            content_type="multipart/form-data")

    checked = upload(sheet(bad), "check")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "2 行可导入，1 行未通过" in page and "980121001" in page
    refused = upload(sheet(bad), "save")
    assert refused.status_code == 422 and "未导入任何数据" in refused.get_data(as_text=True)
    assert upload(sheet(good), "check").status_code == 200
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.scalar(select(db.func.count(Village.id))) == 0  # a dry run saves nothing
    assert upload(sheet(good), "save").status_code == 302
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert sorted(db.session.scalars(select(Village.kind))) == ["community", "village"]
    assert _stats(app, tree.town) == {"villages.count": 2}


def test_a_sibling_township_gets_404_on_every_village_and_plan(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    round_id = _round(app, tree, people)
    village_id = _village(app, tree, people, "双溪村", "202")
    grading_id = _graded(app, tree, people, village_id, round_id, 60)
    plan_id = _plan(app, people, village_id)
    from core.villages.models import VillagePlan

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        item_id = db.session.get(VillagePlan, plan_id).items[0].id
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"username": "v-west-leader", "password": "Correct-Horse-42"}).status_code == 302
    headers = bearer(app, "v-west-leader")
    try:
        for unit in (tree.town, tree.town2):
            pages = [f"/u/{unit}/villages/{village_id}", f"/u/{unit}/villages/{village_id}/edit",
                     f"/u/{unit}/villages/gradings/{grading_id}", f"/u/{unit}/villages/plans/{plan_id}",
                     f"/u/{unit}/villages/plans/{plan_id}/order.docx", f"/u/{unit}/villages/plans/{plan_id}/order.pdf"]
            posts = [f"/u/{unit}/villages/{village_id}/archive", f"/u/{unit}/villages/{village_id}/plan",
                     f"/u/{unit}/villages/{village_id}/regrade", f"/u/{unit}/villages/{village_id}/gradings",
                     f"/u/{unit}/villages/gradings/{grading_id}/scores", f"/u/{unit}/villages/plans/{plan_id}/items",
                     f"/u/{unit}/villages/plans/{plan_id}/items/{item_id}/close",
                     f"/u/{unit}/villages/plans/{plan_id}/reports"]
            for path in pages:
                assert client.get(path).status_code == 404, path
            for path in posts:
                assert client.post(path, data={"reason": "x", "round_id": round_id}).status_code == 404, path
            for path in (f"/api/v1/u/{unit}/villages/{village_id}", f"/api/v1/u/{unit}/villages/{village_id}/gradings",
                         f"/api/v1/u/{unit}/village-plans/{plan_id}/items"):
                assert client.get(path, headers=headers).status_code == 404, path
            listing = client.get(f"/api/v1/u/{unit}/villages", headers=headers)
            assert "双溪村" not in listing.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_through_the_api_a_plan_is_closed_out_its_reports_logged_and_the_regrade_confirmed(app, factory):
    tree = factory.tree()
    people = _people(factory, tree)
    round_id = _round(app, tree, people)
    village_id = _village(app, tree, people, "双溪村", "202")
    _graded(app, tree, people, village_id, round_id, 60, days_ago=2)
    client = app.test_client()
    officer, leader, county = bearer(app, "v-officer"), bearer(app, "v-leader"), bearer(app, "v-county-leader")
    base = f"/api/v1/u/{tree.town}"

    bad = client.post(f"{base}/villages/{village_id}/plan", headers=officer, json={"items": [{"problem": "问题"}]})
    assert bad.status_code == 422
    assert {"party_secretary", "discipline_secretary", "items.0.measure", "items.0.responsible",
            "items.0.deadline"} <= set(bad.get_json()["errors"])
    deadline = (calendar.today() + timedelta(days=20)).isoformat()
    plan = client.post(f"{base}/villages/{village_id}/plan", headers=officer, json={
        "party_secretary": "陈书记", "discipline_secretary": "刘纪委",
        "items": [{"problem": "征地久拖不决", "measure": "上门做工作", "responsible": "蒋联村", "deadline": deadline}]})
    assert plan.status_code == 201, plan.get_json()
    plan_id = plan.get_json()["id"]
    assert client.post(f"{base}/villages/{village_id}/regrade", headers=leader,
                       json={"grade": "B", "reason": "已整改"}).status_code == 422  # items still open
    extra = client.post(f"{base}/village-plans/{plan_id}/items", headers=officer, json={
        "problem": "三资台账不清", "measure": "清理合同", "responsible": "李站长", "deadline": deadline})
    assert extra.status_code == 201
    month = calendar.today().strftime("%Y-%m")
    wrong = client.post(f"{base}/village-plans/{plan_id}/reports", headers=officer, json={"month": "2026-13"})
    assert wrong.status_code == 422 and all(CJK.search(m) for m in sum(wrong.get_json()["errors"].values(), []))
    assert client.post(f"{base}/village-plans/{plan_id}/reports", headers=officer, json={
        "month": month, "heard_by": "陈书记", "content": "汇报整改进展"}).status_code == 201
    assert [r["month"] for r in client.get(f"{base}/village-plans/{plan_id}/reports",
                                           headers=officer).get_json()["items"]] == [month]
    for item in client.get(f"{base}/village-plans/{plan_id}/items", headers=officer).get_json()["items"]:
        closed = client.post(f"{base}/village-plans/{plan_id}/items/{item['id']}/close", headers=officer,
                             json={"evidence": "已整改到位"})
        assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    # An officer does not propose the regrade; the leader does; the county confirms it.
    assert client.post(f"{base}/villages/{village_id}/regrade", headers=officer,
                       json={"grade": "B", "reason": "已整改"}).status_code == 404
    proposal = client.post(f"{base}/villages/{village_id}/regrade", headers=leader,
                           json={"grade": "B", "reason": "问题全部销号"})
    assert proposal.status_code == 201 and proposal.get_json()["state"] == "proposed"
    decided = client.post(f"/api/v1/u/{tree.county}/village-gradings/{proposal.get_json()['id']}/decision",
                          headers=county, json={"decision": "confirm"})
    assert decided.status_code == 200 and decided.get_json()["previous_grade"] == "C"
    assert client.get(f"{base}/villages/{village_id}", headers=officer).get_json()["grade"] == "B"
    stats = _stats(app, tree.town)
    assert stats["villages.lifted_from_c"] == 1 and stats["villages.plan_items.closed"] == 2
    _recount_agrees(app, tree.town)


def test_a_village_lifted_from_c_withdraws_its_open_plan_items(app, factory):
    """The next round grades a C village B before its plan is closed out: the plan is lifted, its open items are
    withdrawn with it (no longer counted open or overdue, nor warned), and the recount agrees."""
    from core.villages import operations as ops
    from core.villages.models import GradingRound, VillagePlan
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    village_id = _village(app, tree, people, "双溪村", "201")
    first = _round(app, tree, people)
    _graded(app, tree, people, village_id, first, 60, days_ago=40)
    plan_id = _plan(app, people, village_id, issued_days_ago=35, deadlines=(10, 60))  # one item overdue already
    _run(app, people["county_officer"], lambda: ops.refresh_overdue(db.session.get(Unit, tree.town), calendar.today()))
    assert _stats(app, tree.town)["villages.plan_items.open"] == 2
    assert _stats(app, tree.town)["villages.plan_items.overdue"] == 1
    _run(app, people["county_officer"], lambda: ops.close_round(db.session.get(GradingRound, first)))
    second = _round(app, tree, people, period="2026下半年")
    _graded(app, tree, people, village_id, second, 85)
    figures = _stats(app, tree.town)
    assert figures.get("villages.grade.c", 0) == 0 and figures["villages.lifted_from_c"] == 1
    assert figures.get("villages.plan_items.open", 0) == 0 and figures.get("villages.plan_items.overdue", 0) == 0
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        plan = db.session.get(VillagePlan, plan_id)
        assert plan.state == "lifted" and {i.state_label for i in plan.items} == {"随等次提升撤销"}
        assert ops.scan(calendar.today())["warned"] == 0
        db.session.commit()
    _recount_agrees(app, tree.town)
