"""Clearing names (澄清正名): the pool, the six-stage chain through the API with an escalated review,
the conditions list blocking a clearing, follow-up visits, the queue and its ledger, documents, and
the stats rows matching a recount after random work in several units."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import time_machine
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.conftest import Browser, bearer

MONDAY = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def _conditions(app, factory, tree):
    """The city's 正反清单: one positive, one negative condition (returns their ids)."""
    factory.account("city-boss", [(tree.city, "leader")])
    city = Browser(app, factory)
    city.login("city-boss")
    url = f"/u/{tree.city}/clearing/conditions"
    assert city.post(url, {"polarity": "positive", "text": "反映问题经核查失实"}).status_code == 302
    assert city.post(url, {"polarity": "negative", "text": "本人另有问题正在审查调查"}).status_code == 302
    page = city.get(url).get_data(as_text=True)
    assert "反映问题经核查失实" in page and "本人另有问题正在审查调查" in page
    from core.clearing.models import ClearingCondition
    from core.extensions import db
    from sqlalchemy import select

    with app.app_context():
        from core import context

        with context.acting(context.maintenance_context(), db.session):
            rows = db.session.execute(select(ClearingCondition.id, ClearingCondition.negative)).all()
    return {("negative" if negative else "positive"): cid for cid, negative in rows}


def _petition_with_informant(app, unit_id):
    from core import context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = petition_ops.register_petition(
            db.session.get(Unit, unit_id), dict(channel="letter", received_on=date(2026, 3, 2), anonymous=False,
            informant={"name": "赵举报", "phone": "13912345678", "id_number": ""}, accused_name="李澄清",
            accused_position="村党支部书记", summary="反映拆迁补偿款发放问题"))
        db.session.commit()
        return petition.number


def _step(app, headers, unit_id, case, transition, data=None, version=None):
    return app.test_client().post(
        f"/api/v1/u/{unit_id}/clearing-cases/{case['id']}/transitions", headers=headers,
        json={"transition": transition, "data": data or {},
              "version": case["version"] if version is None else version})


ASSESS = {"verified_fully": True, "conclusion_clear": True, "handling_done": True, "opinion": "信访室、审理室联审：可以澄清"}


def test_the_whole_chain_with_an_escalated_review(app, factory):
    tree = factory.tree()
    cond = _conditions(app, factory, tree)
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("east-boss", [(tree.town, "leader")])
    factory.account("county-boss", [(tree.county, "leader")])
    factory.account("west-officer", [(tree.town2, "officer")])
    reference = _petition_with_informant(app, tree.town)
    with time_machine.travel(MONDAY, tick=False):
        officer, boss, county = (bearer(app, n) for n in ("east-officer", "east-boss", "county-boss"))
        client = app.test_client()
        base = f"/api/v1/u/{tree.town}"

        # The pool: a candidate concluded four years ago is refused; priority ones come first.
        old = client.post(f"{base}/clearing-candidates", headers=officer, json={
            "reference": "旧件", "concluded_on": "2022-06-01", "person_name": "王某", "person_work_unit": "东镇",
            "accusation": "反映问题"})
        assert old.status_code == 422 and "concluded_on" in old.get_json()["errors"]
        plain = client.post(f"{base}/clearing-candidates", headers=officer, json={
            "reference": "东纪信〔2025〕9号", "concluded_on": "2025-09-01", "person_name": "周某",
            "person_work_unit": "东镇农办", "accusation": "反映优亲厚友"})
        assert plain.status_code == 201
        first = client.post(f"{base}/clearing-candidates", headers=officer, json={
            "reference": reference, "concluded_on": "2026-05-20", "person_name": "李澄清",
            "person_position": "村党支部书记", "person_work_unit": "东镇前村", "accusation": "反映收受好处、违规发放补偿款",
            "finding": "经核查，反映问题不属实", "priority_flags": ["land", "frontline"]})
        assert first.status_code == 201, first.get_json()
        pool = client.get(f"{base}/clearing-candidates", headers=officer).get_json()
        assert [c["person_name"] for c in pool] == ["李澄清", "周某"]

        screened = client.post(f"{base}/clearing-candidates/{first.get_json()['id']}/screening", headers=officer,
                               json={"decision": "accept"})
        case = screened.get_json()["case"]
        assert case["number"] == "东纪澄〔2026〕1号" and case["state"] == "applied"
        unsuitable = client.post(f"{base}/clearing-candidates/{plain.get_json()['id']}/screening", headers=officer,
                                 json={"decision": "unsuitable"})
        assert unsuitable.status_code == 422 and "reason" in unsuitable.get_json()["errors"]

        # An illegal step names where the case stands and what it allows.
        early = _step(app, boss, tree.town, case, "review", {"opinion": "同意"})
        assert early.status_code == 409
        assert early.get_json()["current_state"] == "applied"
        assert set(early.get_json()["allowed_transitions"]) == {"assess", "decline"}
        assert "待评估" in early.get_json()["message"]
        # Missing data: 422 per field.
        incomplete = _step(app, officer, tree.town, case, "assess", {"verified_fully": True})
        assert incomplete.status_code == 422
        assert {"conclusion_clear", "handling_done", "opinion"} <= set(incomplete.get_json()["errors"])
        # An officer may not review (404, like anything not theirs).
        assessed = _step(app, officer, tree.town, case, "assess",
                         {**ASSESS, "conditions": [cond["positive"], cond["negative"]], "sensitive": True})
        assert assessed.status_code == 200, assessed.get_json()
        case = assessed.get_json()
        assert case["state"] == "assessed"
        assert _step(app, officer, tree.town, case, "review", {"opinion": "同意"}).status_code == 404

        # Before escalation the county sees nothing of the case.
        county_case_url = f"/api/v1/u/{tree.county}/clearing-cases/{case['id']}"
        assert client.get(county_case_url, headers=county).status_code == 404
        sensitive_review = _step(app, boss, tree.town, case, "review", {"opinion": "同意", "override_reason": "x"})
        assert sensitive_review.status_code == 422  # a sensitive case goes up
        case = _step(app, boss, tree.town, case, "escalate").get_json()
        assert case["state"] == "escalated"

        # The county reviews through the share; a sibling township never sees the case.
        seen = client.get(county_case_url, headers=county)
        assert seen.status_code == 200
        assert set(seen.get_json()["allowed_transitions"]) == {"higher_review", "higher_send_back"}
        assert client.get(f"/api/v1/u/{tree.town2}/clearing-cases/{case['id']}",
                          headers=bearer(app, "west-officer")).status_code == 404
        county_browser = Browser(app, factory)
        county_browser.login("county-boss")
        page = county_browser.get(f"/u/{tree.county}/clearing/cases/{case['id']}").get_data(as_text=True)
        assert "李澄清" in page and "赵举报" not in page and "13912345678" not in page
        assert "报请本单位提级审核" in county_browser.get(f"/u/{tree.county}/clearing").get_data(as_text=True)
        # The county may take only the review steps the share names.
        assert _step(app, county, tree.county, seen.get_json(), "submit_plan").status_code == 404
        # The negative condition blocks until the reviewing leader states why the clearing goes ahead.
        blocked = _step(app, county, tree.county, seen.get_json(), "higher_review", {"opinion": "同意澄清"})
        assert blocked.status_code == 422 and "override_reason" in blocked.get_json()["errors"]
        given = _step(app, county, tree.county, seen.get_json(), "higher_review",
                      {"opinion": "同意澄清", "override_reason": "另案已查明与本件无关，不影响澄清"})
        assert given.status_code == 200 and given.get_json()["state"] == "reviewed"
        assert client.get(county_case_url, headers=county).status_code == 404  # only while the review was open
        assert county_browser.get(f"/u/{tree.county}/clearing/cases/{case['id']}").status_code == 404

        case = client.get(f"{base}/clearing-cases/{case['id']}", headers=officer).get_json()
        assert case["review"]["escalated"] and case["override_reason"].startswith("另案")
        assert case["allowed_transitions"] == ["submit_plan"]
        plan = {"method": "village_meeting", "scope": "前村全体村民代表", "venue": "前村文化礼堂",
                "planned_on": "2026-11-20"}
        case = _step(app, officer, tree.town, case, "submit_plan", plan).get_json()
        stale = _step(app, boss, tree.town, case, "approve_plan", version=case["version"] - 1)
        assert stale.status_code == 409
        rejected = _step(app, boss, tree.town, case, "reject_plan", {"reason": "范围应扩大到村两委"}).get_json()
        assert rejected["state"] == "reviewed"
        case = _step(app, officer, tree.town, rejected, "submit_plan", {**plan, "scope": "前村村两委及村民代表"}).get_json()
        # Reviewed above, so approved above: the county judges the plan's methods too (seed 000, 提级审核).
        assert "approve_plan" not in case["allowed_transitions"]
        alone = _step(app, boss, tree.town, case, "approve_plan")
        assert alone.status_code == 422 and "报上级审批" in str(alone.get_json())
        case = _step(app, boss, tree.town, case, "escalate_plan").get_json()
        assert case["state"] == "plan_escalated"
        seen = client.get(county_case_url, headers=county)
        assert set(seen.get_json()["allowed_transitions"]) == {"higher_approve_plan", "higher_reject_plan"}
        assert "前村村两委及村民代表" in county_browser.get(f"/u/{tree.county}/clearing/cases/{case['id']}").get_data(
            as_text=True)
        sent_back = _step(app, county, tree.county, seen.get_json(), "higher_reject_plan", {"reason": "改为澄清正名会"})
        assert sent_back.status_code == 200 and sent_back.get_json()["state"] == "reviewed"
        assert client.get(county_case_url, headers=county).status_code == 404
        case = client.get(f"{base}/clearing-cases/{case['id']}", headers=officer).get_json()
        case = _step(app, officer, tree.town, case, "submit_plan", {**plan, "method": "public_meeting"}).get_json()
        case = _step(app, boss, tree.town, case, "escalate_plan").get_json()
        approved = _step(app, county, tree.county, client.get(county_case_url, headers=county).get_json(),
                         "higher_approve_plan")
        assert approved.status_code == 200, approved.get_json()
        case = client.get(f"{base}/clearing-cases/{case['id']}", headers=officer).get_json()
        assert case["state"] == "plan_approved" and case["plan"]["approved_unit"] == "甲县"
        cleared = _step(app, officer, tree.town, case, "clear", {
            "held_on": "2026-11-16", "attendance": "村两委成员、村民代表42人", "presided_by": "镇纪委书记"})
        assert cleared.status_code == 200, cleared.get_json()
        case = cleared.get_json()
        assert case["state"] == "cleared" and len(case["visits"]) == 4
        assert {v["kind"] for v in case["visits"]} == {"person", "org_head", "colleagues", "family"}
        assert all(v["due_on"] == "2026-12-14" for v in case["visits"])  # 20 working days on

        no_copy = _step(app, officer, tree.town, case, "feedback", {"person_on": "2026-11-16", "party_org": "前村党支部",
                                                                  "org_head": "张书记", "org_on": "2026-11-16"})
        assert no_copy.status_code == 422 and "personnel_dept" in no_copy.get_json()["errors"]
        case = _step(app, officer, tree.town, case, "feedback", {
            "person_on": "2026-11-16", "party_org": "前村党支部", "org_head": "张书记", "org_on": "2026-11-16",
            "personnel_dept": "镇党委组织办", "personnel_on": "2026-11-16"}).get_json()
        case = _step(app, officer, tree.town, case, "file", {"filed_on": "2026-11-16"}).get_json()
        assert case["state"] == "filed"

        visit = case["visits"][0]
        recorded = client.post(f"{base}/clearing-visits/{visit['id']}", headers=officer, json={
            "visited_on": "2026-11-16", "visitors": "镇纪委 王、陈", "mental_state": "放下包袱，精神饱满",
            "work_performance": "积极推进拆迁安置", "version": visit["version"]})
        assert recorded.status_code == 200, recorded.get_json()
        assert len(client.get(f"{base}/clearing-visits", headers=officer).get_json()) == 3

        # The timeline holds every stage, the person's file every clearing and visit.
        town = Browser(app, factory)
        town.login("east-officer")
        page = town.get(f"/u/{tree.town}/clearing/cases/{case['id']}").get_data(as_text=True)
        for label in ("质效评估", "提级审核", "上级复核通过", "退回方案", "批准方案", "实施澄清", "反馈", "备案"):
            assert label in page, label
        person = town.get(f"/u/{tree.town}/clearing/cases/{case['id']}/file").get_data(as_text=True)
        assert "东纪澄〔2026〕1号" in person and "放下包袱，精神饱满" in person

        # The notice: numbered, naming the person; nothing of the informant anywhere.
        notice = town.get(f"/u/{tree.town}/clearing/cases/{case['id']}/notice.docx")
        text = "\n".join(p.text for p in Document(io.BytesIO(notice.data)).paragraphs)
        assert "东纪澄〔2026〕1号" in text and "李澄清" in text and "经核查，反映问题不属实" in text
        assert "赵举报" not in text
        ledger = town.ledger(f"/u/{tree.town}/clearing/ledger.xlsx")
        sheet = load_workbook(io.BytesIO(ledger.data)).active
        rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
        assert rows[0][0] == "编号" and any(r[0] == "东纪澄〔2026〕1号" and r[10] == "已备案" for r in rows[1:])
        assert not any("赵举报" in str(c) or "13912345678" in str(c) for r in rows for c in r)

    _assert_figures_match_records(app, tree.town)


def test_a_leader_clears_despite_a_negative_condition_only_with_a_reason(app, factory):
    tree = factory.tree()
    cond = _conditions(app, factory, tree)
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("east-boss", [(tree.town, "leader")])
    with time_machine.travel(MONDAY, tick=False):
        officer, boss = bearer(app, "east-officer"), bearer(app, "east-boss")
        created = app.test_client().post(f"/api/v1/u/{tree.town}/clearing-cases", headers=officer, json={
            "person_name": "陈申请", "person_position": "副镇长", "person_work_unit": "东镇人民政府",
            "accusation": "反映阻挠村民建房", "request": "请求组织予以澄清", "applied_on": "2026-11-16"})
        assert created.status_code == 201, created.get_json()
        case = created.get_json()
        assert case["origin"] == "green_channel" and case["due_on"] == "2026-12-07"  # 15 working days
        foreign = _step(app, officer, tree.town, case, "assess", {**ASSESS, "conditions": [999999]})
        assert foreign.status_code == 422 and "conditions" in foreign.get_json()["errors"]
        case = _step(app, officer, tree.town, case, "assess", {**ASSESS, "conditions": [cond["negative"]]}).get_json()
        blocked = _step(app, boss, tree.town, case, "review", {"opinion": "同意"})
        assert blocked.status_code == 422
        assert "本人另有问题正在审查调查" in blocked.get_json()["errors"]["override_reason"][0]
        sent_back = _step(app, boss, tree.town, case, "send_back_assessment", {"reason": ""})
        assert sent_back.status_code == 422 and "reason" in sent_back.get_json()["errors"]
        reviewed = _step(app, boss, tree.town, case, "review", {"opinion": "同意", "override_reason": "该问题已了结"})
        assert reviewed.status_code == 200 and reviewed.get_json()["state"] == "reviewed"


def test_overdue_visits_and_steps_warn_in_the_inbox(app, factory):
    from core.clearing.jobs import scan_clearing_deadlines

    tree = factory.tree()
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("east-boss", [(tree.town, "leader")])
    with time_machine.travel(MONDAY, tick=False):
        officer, boss = bearer(app, "east-officer"), bearer(app, "east-boss")
        case = app.test_client().post(f"/api/v1/u/{tree.town}/clearing-cases", headers=officer, json={
            "person_name": "孙某", "person_work_unit": "东镇", "accusation": "反映问题", "request": "请求澄清",
            "applied_on": "2026-11-16"}).get_json()
        case = _step(app, officer, tree.town, case, "assess", ASSESS).get_json()
        case = _step(app, boss, tree.town, case, "review", {"opinion": "同意"}).get_json()
        case = _step(app, officer, tree.town, case, "submit_plan", {"method": "notice", "scope": "本人及所在单位",
                                                                   "planned_on": "2026-11-17"}).get_json()
        case = _step(app, boss, tree.town, case, "approve_plan").get_json()
        case = _step(app, officer, tree.town, case, "clear", {"held_on": "2026-11-16", "attendance": "本人、单位负责人",
                                                             "presided_by": "镇纪委书记"}).get_json()
    # 25 December: the visits (due 14 December) are overdue, and so is the feedback step.
    with time_machine.travel(datetime(2026, 12, 25, 2, 0, tzinfo=timezone.utc), tick=False):
        with app.app_context():
            first = scan_clearing_deadlines()
            again = scan_clearing_deadlines()
        assert first["visits_overdue"] == 4 and first["overdue"] == 1
        assert again == {"due_soon": 0, "overdue": 0, "visits_overdue": 0}  # idempotent
        town = Browser(app, factory)
        town.login("east-officer")
        inbox = town.get(f"/u/{tree.town}/inbox").get_data(as_text=True)
        assert "回访逾期（本人）" in inbox and "澄清件已逾期（待反馈）" in inbox
        queue = town.get(f"/u/{tree.town}/clearing?overdue=1").get_data(as_text=True)
        assert 'data-case="东纪澄〔2026〕1号"' in queue and 'data-due="overdue"' in queue
        visits = town.get(f"/u/{tree.town}/clearing/visits").get_data(as_text=True)
        assert visits.count('data-due="overdue"') == 4
    with app.app_context():
        from core import context
        from core.extensions import db
        from tenants.models import UnitStat
        from sqlalchemy import select

        with context.acting(context.maintenance_context(), db.session):
            figures = dict(db.session.execute(select(UnitStat.metric, UnitStat.value).where(
                UnitStat.unit_id == tree.town, UnitStat.period == "")).all())
    assert figures["clearing.visits_overdue"] == 4 and figures["clearing.overdue"] == 1
    assert figures["clearing.visits_due"] == 4 and figures["clearing.cleared_persons"] == 1


def test_the_queue_filters_searches_and_pages(app, factory):
    from core import context
    from core.clearing import operations as ops
    from core.extensions import db
    from tenants.models import Unit

    tree = factory.tree()
    factory.account("east-officer", [(tree.town, "officer")])
    with time_machine.travel(MONDAY, tick=False):
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            unit = db.session.get(Unit, tree.town)
            for i in range(55):
                ops.register_application(unit, {"person_name": f"干部{i:02d}", "person_work_unit": "东镇",
                                                "accusation": "反映问题", "request": "请求澄清",
                                                "applied_on": "2026-11-16",
                                                "priority_flags": ["rural"] if i % 5 == 0 else []})
            db.session.commit()
        town = Browser(app, factory)
        town.login("east-officer")
        page1 = town.get(f"/u/{tree.town}/clearing").get_data(as_text=True)
        assert "共 55 件" in page1 and page1.count("data-case=") == 50 and "第 1 / 2 页" in page1
        page2 = town.get(f"/u/{tree.town}/clearing?page=2").get_data(as_text=True)
        assert page2.count("data-case=") == 5
        rural = town.get(f"/u/{tree.town}/clearing?priority=rural").get_data(as_text=True)
        assert rural.count("data-case=") == 11
        found = town.get(f"/u/{tree.town}/clearing?q=干部07").get_data(as_text=True)
        assert found.count("data-case=") == 1 and "干部07" in found
        by_number = town.get(f"/u/{tree.town}/clearing?q=〔2026〕12号").get_data(as_text=True)
        assert by_number.count("data-case=") == 1
        assert town.get(f"/u/{tree.town}/clearing?stage=clear").get_data(as_text=True).count("data-case=") == 0
        assert "没有符合条件" in town.get(f"/u/{tree.town}/clearing?q=%25").get_data(as_text=True)


def test_batches_plan_from_the_pool_and_show_progress(app, factory):
    tree = factory.tree()
    factory.account("east-officer", [(tree.town, "officer")])
    with time_machine.travel(MONDAY, tick=False):
        officer = bearer(app, "east-officer")
        ids = [app.test_client().post(f"/api/v1/u/{tree.town}/clearing-candidates", headers=officer, json={
            "reference": f"东纪信〔2026〕{i}号", "concluded_on": "2026-06-01", "person_name": f"候选{i}",
            "person_work_unit": "东镇", "accusation": "反映问题"}).get_json()["id"] for i in range(3)]
        town = Browser(app, factory)
        town.login("east-officer")
        missing = town.post(f"/u/{tree.town}/clearing/batches", {"year": "2026", "quarter": "4",
                                                                 "target_on": "2026-12-31"},
                            form_page=f"/u/{tree.town}/clearing/pool")
        assert missing.status_code == 422 and "请从备选库中选择" in missing.get_data(as_text=True)
        planned = town.client.post(f"/u/{tree.town}/clearing/batches", data={
            "csrf_token": town.csrf(f"/u/{tree.town}/clearing/pool"), "year": "2026", "quarter": "4",
            "target_on": "2026-12-31", "candidate_ids": ids[:2]})
        assert planned.status_code == 302
        app.test_client().post(f"/api/v1/u/{tree.town}/clearing-candidates/{ids[0]}/screening", headers=officer,
                               json={"decision": "accept"})
        batch_page = town.get(planned.location).get_data(as_text=True)
        assert "2026年第4季度" in batch_page and "线索 2 件，待甄别 1 件" in batch_page
        queue = town.get(f"/u/{tree.town}/clearing").get_data(as_text=True)
        assert "2026年第4季度" in queue


def _assert_figures_match_records(app, *unit_ids):
    from core import context
    from core.clearing import operations as ops
    from core.extensions import db
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for unit_id in unit_ids:
            assert ops.reconcile(db.session.get(Unit, unit_id)) == {}, unit_id


STEP_DATA = {
    "assess": ASSESS,
    "review": {"opinion": "同意"},
    "higher_review": {"opinion": "同意"},
    "send_back_assessment": {"reason": "补充核查"},
    "higher_send_back": {"reason": "补充核查"},
    "escalate": {},
    "submit_plan": {"method": "notice", "scope": "本人", "planned_on": "2026-11-20"},
    "approve_plan": {},
    "escalate_plan": {},
    "higher_approve_plan": {},
    "higher_reject_plan": {"reason": "重新拟定"},
    "reject_plan": {"reason": "重新拟定"},
    "clear": {"held_on": "2026-11-16", "attendance": "本人", "presided_by": "书记"},
    "feedback": {"person_on": "2026-11-16", "party_org": "支部", "org_head": "书记", "org_on": "2026-11-16",
                 "personnel_dept": "组织办", "personnel_on": "2026-11-16"},
    "send_back_feedback": {"reason": "补充"},
    "file": {"filed_on": "2026-11-16"},
    "decline": {"reason": "不宜澄清"},
}
# Steps weigh most, so sequences reach the later stages and the visits.
ACTIONS = st.lists(st.tuples(st.sampled_from(["candidate", "screen_in", "screen_out", "apply", "step", "step", "step",
                                              "step", "step", "step", "visit", "visit", "scan"]),
                             st.integers(0, 2), st.integers(0, 50)), min_size=10, max_size=60)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_figures_equal_the_recount_after_any_work(app, factory, actions):
    """Property: whatever sequence of pool, chain and visit work happens in several townships, each unit's
    stats rows (moved in the writing transactions) equal a recount from the records."""
    from sqlalchemy import select

    from core import context
    from core.clearing import operations as ops
    from core.clearing.models import ClearingCandidate, ClearingCase, ClearingVisit
    from core.clearing.workflow import CASE_FLOW, ESCALATED_ONLY_STEPS, HIGHER_REVIEW_STEPS, NOT_WHEN_ESCALATED
    from core.extensions import db
    from tenants.models import Unit

    tree = factory.tree() if _needs_tree(app) else _existing_tree(app)
    units = [tree.town, tree.town2, tree.other_town]
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False), app.app_context():
        for action, which, pick in actions:
            unit = db.session.get(Unit, units[which])
            with context.acting(context.ActingContext(unit_id=unit.id, unit_path=unit.path), db.session):
                if action == "candidate":
                    ops.record_candidate(unit, {"reference": f"R{pick}", "concluded_on": "2026-01-05",
                                                "person_name": f"人{pick}", "person_work_unit": "某单位",
                                                "subject_kind": "unit" if pick % 4 == 0 else "person",
                                                "accusation": "反映问题"})
                elif action in ("screen_in", "screen_out"):
                    candidates = db.session.scalars(select(ClearingCandidate).where(
                        ClearingCandidate.unit_id == unit.id, ClearingCandidate.state == "pool")).all()
                    if candidates:
                        ops.screen_candidate(candidates[pick % len(candidates)], accept=action == "screen_in",
                                             reason="不适宜")
                elif action == "apply":
                    ops.register_application(unit, {"person_name": f"申{pick}", "person_work_unit": "某单位",
                                                    "accusation": "反映问题", "request": "请求",
                                                    "applied_on": "2026-11-16"})
                elif action == "step":
                    cases = db.session.scalars(select(ClearingCase).where(ClearingCase.unit_id == unit.id)
                                               .order_by(ClearingCase.id)).all()
                    movable = [c for c in cases if CASE_FLOW.available(c)]
                    if movable:
                        case = movable[pick % len(movable)]
                        # Mostly forward, sometimes back or out, so sequences reach every stage.
                        steps = [t.name for t in CASE_FLOW.available(case)
                                 if t.name not in (NOT_WHEN_ESCALATED if case.sensitive else ESCALATED_ONLY_STEPS)
                                 and (t.name != "decline" or pick % 10 == 0)
                                 and (not t.needs_reason or t.name == "decline" or pick % 3 == 0)]
                        step = steps[pick % len(steps)]
                        if step in HIGHER_REVIEW_STEPS:
                            reviewer = db.session.get(Unit, case.reviewing_unit_id)
                            with context.acting(context.ActingContext(unit_id=reviewer.id, unit_path=reviewer.path),
                                                db.session):
                                ops.take_step(case, step, STEP_DATA[step], acting_unit=reviewer)
                        else:
                            ops.take_step(case, step, STEP_DATA[step], acting_unit=unit)
                elif action == "visit":
                    visits = db.session.scalars(select(ClearingVisit).where(ClearingVisit.unit_id == unit.id)
                                                .order_by(ClearingVisit.id)).all()
                    if visits:
                        ops.record_visit(visits[pick % len(visits)], {
                            "visited_on": f"2026-11-{16 + pick % 3}",
                            "visitors": "甲", "mental_state": "好", "work_performance": "好"})
                elif action == "scan":
                    with context.acting(context.maintenance_context(), db.session):
                        ops.scan_deadlines(date(2026, 11, 18))
                db.session.commit()
        _assert_figures_match_records(app, *units)


def _needs_tree(app) -> bool:
    from core import context
    from core.extensions import db
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return db.session.query(Unit).filter_by(code="980121001").first() is None


def _existing_tree(app):
    from core import context
    from core.extensions import db
    from tenants.models import Unit
    from tests.conftest import Tree

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        ids = {u.code: u.id for u in db.session.query(Unit).all()}
    return Tree(ids["980000"], ids["980100"], ids["980121"], ids["980121001"], ids["980121002"], ids["980200"],
                ids["980221"], ids["980221001"])


def test_the_county_supervises_a_delayed_case_and_every_check_and_report_is_on_its_timeline(app, factory):
    tree = factory.tree()
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("county-boss", [(tree.county, "leader")])
    with time_machine.travel(MONDAY, tick=False):
        officer, county = bearer(app, "east-officer"), bearer(app, "county-boss")
        client = app.test_client()
        case = client.post(f"/api/v1/u/{tree.town}/clearing-cases", headers=officer, json={
            "person_name": "吴拖延", "person_work_unit": "东镇某村", "accusation": "反映违规发放补偿款",
            "request": "请求澄清", "applied_on": "2026-11-16"}).get_json()
        case_url = f"/u/{tree.county}/clearing/cases/{case['id']}"
        county_browser = Browser(app, factory)
        county_browser.login("county-boss")
        assert county_browser.get(case_url).status_code == 404

        # 挂号督办 names the case by its number; the county reads it (never acts on it) while the item is open.
        item = client.post(f"/api/v1/u/{tree.county}/supervision-items", headers=county, json={
            "kind": "registered", "recipient_unit_id": tree.town, "title": "吴拖延澄清件推进缓慢，挂号督办",
            "due_on": "2026-12-04", "report_cadence": "weekly:5", "subject_number": case["number"]})
        assert item.status_code == 201, item.get_json()
        page = county_browser.get(case_url)
        assert page.status_code == 200 and "吴拖延" in page.get_data(as_text=True)
        assert 'data-step=' not in page.get_data(as_text=True)
        shared = client.get(f"/api/v1/u/{tree.county}/clearing-cases/{case['id']}", headers=county).get_json()
        assert shared["allowed_transitions"] == []
        assert _step(app, county, tree.county, shared, "assess", ASSESS).status_code == 404

        # 中期查进度: a recorded check with findings; the township reports progress weekly.
        check = county_browser.post(f"/u/{tree.county}/supervision/checks/new", {
            "phase": "progress", "recipient_unit_id": str(tree.town), "subject_number": case["number"],
            "checked_on": "2026-11-16", "checked_by": "县纪委第二监督检查室", "findings": "评估迟迟未启动，要求本周内完成"})
        assert check.status_code == 302
        wrong = county_browser.post(f"/u/{tree.county}/supervision/checks/new", {
            "phase": "effect", "recipient_unit_id": str(tree.town), "subject_number": "不存在的编号",
            "checked_on": "2026-11-16", "checked_by": "甲", "findings": "乙"})
        assert wrong.status_code == 422 and "没有编号为 不存在的编号 的澄清件" in wrong.get_data(as_text=True)
        client.post(f"/api/v1/u/{tree.town}/supervision-items/{item.get_json()['id']}/steps",
                    headers=officer, json={"step": "progress", "body": "已完成质效评估准备，周三联审"})

        town = Browser(app, factory)
        town.login("east-officer")
        timeline = town.get(f"/u/{tree.town}/clearing/cases/{case['id']}").get_data(as_text=True)
        assert "中期查进度" in timeline and "评估迟迟未启动" in timeline
        assert "挂号督办" in timeline and "已完成质效评估准备" in timeline

        closed = client.post(f"/api/v1/u/{tree.county}/supervision-items/{item.get_json()['id']}/steps",
                             headers=county, json={"step": "close", "reason": "已按要求推进"})
        assert closed.status_code == 200
        assert county_browser.get(case_url).status_code == 404


def test_the_demo_province_holds_clearing_work_at_every_stage(app, factory):
    """``flask demo``: cases in every state across townships, escalated reviews at the county, registered
    supervision on a delayed case, visits due, and figures that match the records."""
    from sqlalchemy import select

    from core import context
    from core.clearing import operations as ops
    from core.clearing.models import ClearingCase
    from core.clearing.workflow import CASE_FLOW
    from core.extensions import db
    from tenants.demo import DEMO_PASSWORD
    from tenants.models import Unit

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0 and "clearing_cases" in result.output, result.output
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        states = set(db.session.scalars(select(ClearingCase.state)))
        townships = set(db.session.scalars(select(ClearingCase.unit_id)))
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        assert all(ops.reconcile(units[code]) == {} for code in units)
        county, home = units["990121"].id, units["990121001"].id
    assert states == set(CASE_FLOW.states)
    assert len(townships) >= 6

    client = Browser(app, factory)
    client.login("county-leader", DEMO_PASSWORD)
    county_page = client.get(f"/u/{county}/clearing").get_data(as_text=True)
    assert county_page.count("报请本单位提级审核") == 1 and county_page.count("/clearing/cases/") >= 2
    town = Browser(app, factory)
    town.login("town-officer", DEMO_PASSWORD)
    queue = town.get(f"/u/{home}/clearing").get_data(as_text=True)
    assert 'data-due="overdue"' in queue
    assert town.get(f"/u/{home}/clearing/visits").get_data(as_text=True).count('data-due="overdue"') == 8
    assert "挂号督办" in town.get(f"/u/{home}/supervision").get_data(as_text=True)
    assert town.get(f"/u/{home}/clearing/pool").get_data(as_text=True).count("纳入澄清") >= 2


def test_a_clearing_held_after_its_deadline_is_not_counted_on_time(app, factory):
    """按期澄清率: judged against the deadline the clearing was due by, not the next stage's."""
    from core import context
    from core.clearing import operations as ops
    from core.extensions import db
    from tenants.models import Unit, UnitStat

    tree = factory.tree()
    steps = {"assess": ASSESS, "review": {"opinion": "同意澄清"},
             "submit_plan": {"method": "village_meeting", "scope": "村民代表", "venue": "村文化礼堂",
                             "planned_on": "2026-11-16"},
             "approve_plan": {}}
    cases = {}
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.get(Unit, tree.town)
        with time_machine.travel(MONDAY, tick=False):
            for who in ("准时", "逾期"):
                case = ops.register_application(town, {
                    "person_name": f"王{who}", "person_position": "村主任", "person_work_unit": "前村村委会", "accusation": "反映优亲厚友",
                    "request": "申请澄清", "applied_on": "2026-11-16"})
                for step, data in steps.items():
                    ops.take_step(case, step, data, acting_unit=town)
                cases[who] = case.id
            on_time = db.session.get(ops.ClearingCase, cases["准时"])
            ops.take_step(on_time, "clear", {"held_on": "2026-11-16", "attendance": "本人", "presided_by": "书记"},
                          acting_unit=town)
            due = db.session.get(ops.ClearingCase, cases["逾期"]).due_on
        with time_machine.travel(datetime.combine(due + timedelta(days=7), datetime.min.time(), timezone.utc),
                                 tick=False):
            late = db.session.get(ops.ClearingCase, cases["逾期"])
            ops.take_step(late, "clear", {"held_on": (due + timedelta(days=7)).isoformat(), "attendance": "本人",
                                          "presided_by": "书记"}, acting_unit=town)
        db.session.commit()
        assert db.session.get(ops.ClearingCase, cases["准时"]).cleared_on_time is True
        assert db.session.get(ops.ClearingCase, cases["逾期"]).cleared_on_time is False
        stock = db.session.scalar(db.select(UnitStat.value).where(
            UnitStat.unit_id == tree.town, UnitStat.metric == "clearing.cleared_on_time", UnitStat.period == ""))
        assert stock == 1
