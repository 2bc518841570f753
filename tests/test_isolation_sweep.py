"""The isolation sweep: every route, as every role of another unit and as anonymous.

Objects of the victim unit (a township) must answer 404 to anyone who may not see them,
401/redirect-to-login to anonymous, and never show the object. Routes are read from the
URL map, so a new route joins the sweep by existing; a new URL parameter must be taught
to ``victim_args`` below or the sweep fails. Roles that read no records (analysts, unit admins) get
figures only: no response to them shows a record's number, a person's name or a summary.
"""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.conftest import bearer

PUBLIC_ENDPOINTS = {"static", "health.healthz", "auth.login", "auth.logout", "api.openapi_json", "api.issue_token",
                    "dashboards.static", "workspace.metrics"}  # /metrics: its own token or network (404 otherwise)
ROLES = ["leader", "officer", "intake", "reviewer", "case_admin", "analyst", "unit_admin"]


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    victim_account = factory.account("victim-officer", [(tree.town2, "officer")])
    victim_admin = factory.account("victim-unitadmin", [(tree.town2, "unit_admin")])
    attackers = {f"east-{role}": factory.account(f"east-{role}", [(tree.town, role)]) for role in ROLES}
    attackers["other-county-leader"] = factory.account("other-county-leader", [(tree.other_county, "leader")])
    attackers["other-city-analyst"] = factory.account("other-city-analyst", [(tree.other_city, "analyst")])
    # Collaboration zones: 东镇 (the attackers' township) is in 东片 with 北镇; 西镇 in 西片 with 中镇.
    zone_units = {"north": factory.unit("北镇", "township", "980121003", tree.county),
                  "middle": factory.unit("中镇", "township", "980121004", tree.county)}
    zone_units["lead"] = factory.account("zones-county-leader", [(tree.county, "leader")])
    zone_units["middle_officer"] = factory.account("middle-officer", [(zone_units["middle"], "officer")])
    with app.app_context():
        from core.extensions import db
        from core.identity import operations as identity_ops
        from core.identity.models import Account
        from core import context
        from tenants.models import Membership

        context.activate(context.maintenance_context(account_id=victim_account), db.session)
        victim_token = identity_ops.issue_token(db.session.get(Account, victim_account)).token.id
        victim_membership = db.session.scalar(db.select(Membership.id).where(Membership.account_id == victim_admin))
        objects = {**_victim_casework(tree), **_victim_import(tree), **_victim_export(tree)}
        objects |= _victim_bulletin(tree) | _victim_indicator(tree)
        objects |= _victim_zones(tree, zone_units, objects)
        objects |= _victim_attachment(tree, objects)
        objects |= _victim_villages(tree)
        objects |= _victim_evidence(tree, objects)
        objects |= _victim_meetings(tree, objects)
        objects |= _victim_ledgers(tree, victim_account)
        objects |= _victim_guidance(tree)
        objects |= _victim_reception(tree)
        objects |= _victim_casebook(tree, objects)
        objects |= _victim_rendition(tree, victim_account, objects)
        objects |= {"dictionary_name": "petition_channels"}  # 数据字典: a platform list, the system admin's only
        db.session.commit()
    return {
        "tree": tree,
        "attackers": attackers,
        "args": {"unit_id": tree.town2, "membership_id": victim_membership, "account_id": victim_account,
                 "token_id": victim_token, "target_id": tree.town2, **objects,
                 # 承办人 routes name a handled record by its kind and id: the victim's petition.
                 "record_type": "petitions", "record_id": objects["petition_id"],
                 # a unit below's workload (承办人工作量) is read by the unit above: the victim township as the child.
                 "child_id": tree.town2},
        "markers": ["西镇", "victim-officer", "victim-unitadmin", "980121002", "机密整改事项", "西镇专报",
                    "西镇接访群众", "13900002222", "西镇接访事项",
                    "西镇例会纪要", "西镇督查内容", "西镇督查问题",
                    "王秘密", "13800001111", "victim-attachment.txt", "赵受屈", "西镇专用条件", "西镇专用类别",
                    "西镇专用指标", "西片协作区", "西片联席会议", "西片交叉检查", "西片检查小结", "西镇回访未落实",
                    "西镇附件举报信", "西镇线索摘要", "孙线索", "西镇专用村", "西镇村问题", "孙案件", "西镇案件事实", "西镇证人",
                    "甲县巡察西镇", "西镇办公会地点", "西镇村民诉求", "西镇具名村民", "西镇廉政教育内容", "丙市专用案例", "西镇推荐案例"],
    }


def _victim_casework(tree) -> dict:
    """Records of the victim township (西镇): a petition, a directive it received from its county (with an
    attachment), and a rectification order and a registered supervision addressed to it."""
    from datetime import timedelta

    from core import calendar
    from core.directives import operations as directive_ops
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from core.supervision import operations as supervision_ops
    from tenants.models import Unit

    town2, county = db.session.get(Unit, tree.town2), db.session.get(Unit, tree.county)
    today = calendar.today()
    petition = petition_ops.register_petition(
        town2, dict(channel="letter", received_on=today, anonymous=False,
        informant={"name": "王秘密", "phone": "13800001111"}, accused_name="钱不露", summary="反映西镇某干部问题"))
    directive = directive_ops.send_directive(
        county, title="西镇专报", audience={"mode": "units", "unit_ids": [town2.id]},
        return_fields=[{"label": "件数", "type": "number", "required": True}], return_cadence="weekly:1",
        attachments=[directive_ops.Upload("victim-attachment.txt", "text/plain", b"secret")])
    item = supervision_ops.issue_item(county, town2, kind="rectification", title="机密整改事项",
                                      due_on=today + timedelta(days=10), problems=[{"description": "问题一"}])
    supervision_ops.issue_item(county, town2, kind="registered", title="挂号督办西镇", due_on=today + timedelta(days=10),
                               report_cadence="weekly:1", subject_number=petition.number)
    return {"petition_id": petition.id, **_victim_petition_extras(town2, petition), "directive_id": directive.id,
            "attachment_id": directive.attachments[0].id, "item_id": item.id, "problem_id": item.problems[0].id,
            **_victim_clearing(town2, today), **_victim_zeroing(town2, county, petition, today),
            **_victim_lead(town2, petition), **_victim_case(town2, county, today)}


def _victim_lead(town2, petition) -> dict:
    """A lead of 西镇 converted from its petition, and one registered with a person of its own."""
    from core.leads import operations as lead_ops

    lead_ops.convert_petition(petition, town2)
    lead = lead_ops.register_lead(town2, dict(source="audit", received_on=petition.received_on,
                                              summary="西镇线索摘要", persons=[{"name": "孙线索", "level": "village"}]))
    return {"lead_id": lead.id, **_victim_lead_report(town2)}


def _victim_lead_report(town2) -> dict:
    """西镇's monthly lead report (月报备) submitted to 甲县, and the county's pending track decision (一个漏斗) on
    the reported lead."""
    from core import calendar
    from core.extensions import db
    from core.leads import operations as lead_ops
    from tenants.models import Unit

    period = lead_ops.last_due_period(calendar.today(), 20)
    reported = lead_ops.register_lead(town2, dict(source="other", received_on=lead_ops.period_bounds(period)[0],
                                                  summary="西镇线索摘要", persons=[{"name": "孙线索", "level": "village"}]))
    report = lead_ops.submit_report(town2, period)
    decision = lead_ops.decide_track(reported, db.session.get(Unit, town2.parent_id),
                                     {"track": "county_led", "reason": "西镇线索摘要"})
    return {"report_id": report.id, "decision_id": decision.id}


def _victim_case(town2, county, today) -> dict:
    """A case (审查调查) of 西镇, reviewed by its county and decided, its execution under way."""
    from core.cases import operations as case_ops
    from core.leads import operations as lead_ops

    lead = lead_ops.register_lead(town2, dict(source="assigned", received_on=today,
                                              summary="西镇立案线索", persons=[{"name": "孙案件", "level": "village"}]))
    lead_ops.dispose(lead, "verify", {"report": "基本属实", "recommendation": "file", "form": "second"})
    case = case_ops.open_from_lead(lead, town2)
    case_ops.add_investigation_step(case, {"kind": "talk", "content": "西镇谈话笔录"})
    case_ops.update_file(case, {"findings": "西镇案件事实", "category": "party", "kind": "warning", "form": "second"})
    for step, unit in (("submit", town2), ("review_agree", county), ("decide", town2)):
        case_ops.take_step(case, step, {}, acting_unit=unit)
    return {"investigation_case_id": case.id, "execution_step_id": case.execution[0].id}


def _victim_zeroing(town2, county, petition, today) -> dict:
    """A zeroing campaign only 西镇 receives, with its backlog case (adopted, visited) and a bulletin of its own."""
    from datetime import timedelta

    from core.directives import operations as directive_ops
    from core.zeroing import operations as zeroing_ops
    from core.zeroing.models import PURPOSE

    campaign = directive_ops.send_directive(
        county, title="西镇积案清零", kind="campaign", audience={"mode": "units", "unit_ids": [town2.id]},
        phases=[{"name": "集中排查", "starts_on": today, "ends_on": today + timedelta(days=30)}], purpose=PURPOSE)
    case = zeroing_ops.add_case(campaign, town2, petition.number)
    zeroing_ops.adopt(case, {"owner_name": "西镇书记", "owner_position": "书记", "task_force": "专班",
                             "plan": "方案", "target_on": today.isoformat()})
    zeroing_ops.record_visit(case, {"kind": "reception", "visited_on": today.isoformat(), "leader": "西镇书记",
                                    "place": "西镇", "met": "信访人", "outcome": "已接谈"})
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    bulletin = zeroing_ops.build_bulletin(campaign, town2, month)
    return {"campaign_id": campaign.id, "backlog_case_id": case.id, "bulletin_id": bulletin.id}


def _victim_petition_extras(town2, petition) -> dict:
    """A repeat link of the victim petition (a second one from the same informant) and a category of 西镇."""
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from core.petitions.models import PetitionLink

    petition_ops.register_petition(town2, dict(
        channel="phone", received_on=petition.received_on, informant={"name": "王秘密", "phone": "13800001111"},
        accused_name="钱不露", summary="再次反映西镇某干部问题"))
    link = db.session.scalar(db.select(PetitionLink).where(PetitionLink.petition_id == petition.id))
    category = petition_ops.add_category(town2, "西镇专用类别")
    template = petition_ops.add_reply_template(town2, "西镇反馈模板", "西镇专用反馈文本")
    return {"link_id": link.id, "category_id": category.id, "template_id": template.id}


def _victim_clearing(town2, today) -> dict:
    """A cleared case of 西镇 (with its visits), a candidate in a batch, and a condition of its own."""
    from datetime import timedelta

    from core.clearing import operations as clearing_ops

    condition = clearing_ops.add_condition(town2, negative=True, text="西镇专用条件")
    candidate = clearing_ops.record_candidate(town2, {
        "reference": "西纪信〔2026〕1号", "concluded_on": today.isoformat(), "person_name": "赵受屈",
        "person_work_unit": "西镇", "accusation": "反映赵受屈问题"})
    batch = clearing_ops.plan_batch(town2, {"year": today.year, "quarter": (today.month - 1) // 3 + 1,
                                            "target_on": (today + timedelta(days=30)).isoformat()}, [candidate.id])
    case = clearing_ops.screen_candidate(candidate, accept=True)
    for step, data in (("assess", {"verified_fully": 1, "conclusion_clear": 1, "handling_done": 1, "opinion": "可"}),
                       ("review", {"opinion": "同意"}),
                       ("submit_plan", {"method": "notice", "scope": "本人", "planned_on": today.isoformat()}),
                       ("approve_plan", {}),
                       ("clear", {"held_on": today.isoformat(), "attendance": "本人", "presided_by": "书记"})):
        clearing_ops.take_step(case, step, data, acting_unit=town2)
    return {"case_id": case.id, "candidate_id": candidate.id, "batch_id": batch.id, "visit_id": case.visits[0].id,
            "condition_id": condition.id}



def _victim_zones(tree, zone_units: dict, objects: dict) -> dict:
    """西片协作区 of 西镇 and 中镇 (东镇 and 北镇 make 东片): 西镇's convener term, a held joint meeting with a
    decision given to 中镇 as a task, a grant of 西镇's petition to 中镇's officer, and a cross-inspection
    round whose pairing of 西镇 inspects 中镇."""
    from datetime import timedelta

    from core import calendar
    from core.extensions import db
    from core.petitions.models import Petition
    from core.zones import operations as zone_ops
    from core.zones.models import InspectionPair
    from tenants.models import Unit

    county, town2 = db.session.get(Unit, tree.county), db.session.get(Unit, tree.town2)
    today = calendar.today()
    zone_ops.define_zone(county, name="东片协作区", lead_account_id=zone_units["lead"], guiding_office="第一室",
                         member_unit_ids=[tree.town, zone_units["north"]])
    zone = zone_ops.define_zone(county, name="西片协作区", lead_account_id=zone_units["lead"],
                                guiding_office="第二室", member_unit_ids=[tree.town2, zone_units["middle"]])
    term = zone_ops.current_term(zone)
    meeting = zone_ops.schedule_meeting(zone, town2, title="西片联席会议", held_on=today, agenda="西片议程")
    zone_ops.record_minutes(meeting, minutes="西片纪要", decisions=[
        {"text": "西片决定", "unit_ids": [zone_units["middle"]], "due_on": today + timedelta(days=10)}])
    decision = meeting.decisions[0]
    zone_ops.issue_decision_tasks(decision)
    petition = db.session.get(Petition, objects["petition_id"])
    grant = zone_ops.grant_cross_access(
        county, grantee_unit_id=zone_units["middle"], owner_unit_id=tree.town2, number=petition.number,
        scope="inspect", purpose="西片交叉检查信访件", starts_on=today, ends_on=today + timedelta(days=5),
        grantee_account_ids=[zone_units["middle_officer"]])
    round_ = zone_ops.open_round(zone, title="西片交叉检查", starts_on=today, ends_on=today + timedelta(days=5))
    pair = db.session.scalar(db.select(InspectionPair).where(InspectionPair.round_id == round_.id,
                                                             InspectionPair.unit_id == tree.town2))
    # 中镇 inspects 西镇's clearing case, finds a problem, and the county orders 西镇 to rectify it.
    inspecting = db.session.scalar(db.select(InspectionPair).where(InspectionPair.round_id == round_.id,
                                                                   InspectionPair.unit_id == zone_units["middle"]))
    zone_ops.file_findings(inspecting, summary="西片检查小结", findings=[
        {"clearing_case_id": objects["case_id"], "answers": {}, "problem": "西镇回访未落实"}])
    zone_ops.issue_rectification(inspecting, due_on=today + timedelta(days=10))
    return {"zone_id": zone.id, "term_id": term.id, "meeting_id": meeting.id, "decision_id": decision.id,
            "grant_id": grant.id, "round_id": round_.id, "pair_id": pair.id}


def _victim_villages(tree) -> dict:
    """A village of 西镇 graded C in its county's round (confirmed), with its plan (一村一方案)."""
    from core import calendar
    from core.extensions import db
    from core.villages import operations as village_ops
    from tenants.models import Unit

    town2, county = db.session.get(Unit, tree.town2), db.session.get(Unit, tree.county)
    round_ = village_ops.open_round(county, {"name": "甲县清廉村居研判", "period": "2026上半年"})
    village = village_ops.add_village(town2, {"name": "西镇专用村", "code": "980121002201", "kind": "village"})
    grading = village_ops.start_grading(village, round_)
    village_ops.score(grading, {c["key"]: {"score": 50} for c in round_.criteria})
    village_ops.submit(grading)
    village_ops.confirm(grading, county)
    plan = village_ops.create_plan(village, {"party_secretary": "西镇书记", "discipline_secretary": "西镇纪委",
                                             "items": [{"problem": "西镇村问题", "measure": "整改", "responsible": "联村",
                                                        "deadline": calendar.today().isoformat()}]})
    return {"village_id": village.id, "grading_id": grading.id, "grading_round_id": round_.id,
            "village_plan_id": plan.id, "plan_item_id": plan.items[0].id}


def _victim_rendition(tree, account_id: int, objects: dict) -> dict:
    """The PDF rendition of 西镇's 澄清通知书, waiting for its job (recorded as the page's request would)."""
    import uuid

    from core.extensions import db
    from core.renditions.models import DocumentRendition
    from tenants.models import Unit

    town2 = db.session.get(Unit, tree.town2)
    rendition = DocumentRendition(unit_id=town2.id, unit_path=town2.path, kind="clearing_notice",
                                  object_id=objects["case_id"], digest=uuid.uuid4().hex * 2, action="clearing.read",
                                  filename="西镇澄清通知书.pdf", requested_by_id=account_id,
                                  state="queued")
    db.session.add(rendition)
    db.session.flush()
    return {"rendition_id": rendition.id}


def _victim_attachment(tree, objects: dict) -> dict:
    """A scanned letter attached to 西镇's petition (附件): the URL parameter ``file_id``."""
    import io

    from core.attachments import operations as attachment_ops
    from core.extensions import db
    from core.petitions.models import Petition
    from tenants.models import Unit

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    attachment = attachment_ops.upload(db.session.get(Petition, objects["petition_id"]), io.BytesIO(png),
                                       "西镇附件举报信.png", acting_unit=db.session.get(Unit, tree.town2))
    return {"file_id": attachment.id}


def _victim_evidence(tree, objects: dict) -> dict:
    """A remote interview (远程取证) of 西镇 on its lead, by its officer and a second officer: ``interview_id``."""
    from core.evidence import operations as evidence_ops
    from core.extensions import db
    from core.identity import operations as identity_ops
    from core.identity.models import Account
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    town2 = db.session.get(Unit, tree.town2)
    first = db.session.scalar(db.select(Account).where(Account.username == "victim-officer"))
    second, _ = identity_ops.create_account("victim-second", "西镇第二办案人", "Correct-Horse-42")
    tenancy_ops.add_membership(second, town2, "officer")
    interview = evidence_ops.plan_interview(town2, {
        "subject_type": "leads", "subject_id": objects["lead_id"], "witness_name": "西镇证人",
        "staff1_id": first.id, "staff2_id": second.id, "planned_at": "2026-12-05T09:30", "mode": "wechat_video",
        "place": "西镇谈话室"}, first)
    return {"interview_id": interview.id}


def _victim_meetings(tree, objects: dict) -> dict:
    """甲县's inspection tour of 西镇专用村 with an on-site meeting there and an issue registered with 西镇:
    ``tour_id``, ``onsite_meeting_id``, ``meeting_issue_id`` (the county's records: 404 to every attacker)."""
    from datetime import timedelta

    from core import calendar
    from core.extensions import db
    from core.identity.models import Account
    from core.meetings import operations as meeting_ops
    from tenants.models import Unit

    county = db.session.get(Unit, tree.county)
    today = calendar.today()
    lead = db.session.scalar(db.select(Account).where(Account.username == "zones-county-leader"))
    tour = meeting_ops.create_tour(county, {
        "name": "甲县巡察西镇", "leader_name": "甲县组长", "account_ids": [lead.id],
        "starts_on": (today - timedelta(days=5)).isoformat(), "ends_on": today.isoformat(),
        "village_ids": [objects["village_id"]]})
    meeting = meeting_ops.create_meeting(tour, {"village_id": objects["village_id"], "held_on": today.isoformat(),
                                                "place": "西镇办公会地点", "leaders": ["甲县组长"]})
    issue = meeting_ops.log_issue(meeting, {"category": "road", "summary": "西镇村民诉求", "named": True,
                                            "villager_name": "西镇具名村民", "outcome": "registered",
                                            "body_kind": "township", "body_unit_id": tree.town2,
                                            "deadline": today.isoformat()})
    return {"tour_id": tour.id, "onsite_meeting_id": meeting.id, "meeting_issue_id": issue.id}


def _victim_ledgers(tree, victim_account: int) -> dict:
    """西镇's 廉政教育台账 rows (``ledger_row_id``), its workbook (``workbook_id``), 甲县's spot check of them
    (``spot_check_id``, its checker 甲县's leader); ``code`` and ``number`` name a ledger only 乙市's catalogue has."""
    from datetime import timedelta

    from core import calendar, context
    from core.extensions import db
    from core.identity.models import Account
    from core.ledgers import operations as ledger_ops
    from core.ledgers import queries as ledger_queries
    from tenants.models import Unit

    town2, county, other_city = (db.session.get(Unit, u) for u in (tree.town2, tree.county, tree.other_city))
    today = calendar.today()
    definition = ledger_queries.definition_of(town2, "lianzheng")
    row = ledger_ops.add_row(town2, definition, {"entry_date": today, "form": "警示教育", "content": "西镇廉政教育内容"})
    lead = db.session.scalar(db.select(Account).where(Account.username == "zones-county-leader"))
    check = ledger_ops.draw_check(county, {"township_id": town2.id, "code": "lianzheng", "positions": [1],
                                           "period_start": today.isoformat(), "period_end": today.isoformat(),
                                           "checker_id": lead.id, "ends_on": (today + timedelta(days=3)).isoformat()})
    other = ledger_ops.define_ledger(other_city, {"title": "乙市专用台账", "period": "monthly",
                                                   "columns": [{"label": "事项", "type": "text"}]})
    with context.acting(context.maintenance_context(account_id=victim_account), db.session):
        workbook = ledger_ops.request_workbook(town2, db.session.get(Account, victim_account), ["lianzheng"])
    return {"ledger_row_id": row.id, "spot_check_id": check.id, "workbook_id": workbook.id, "code": other.code,
            "number": other.position + 1}


def _victim_reception(tree) -> dict:
    """西镇's reception room: this month's rota and a 接访 registered as a petition: ``reception_id``
    (the person received is sealed; every attacker gets 404)."""
    from core import calendar
    from core.extensions import db
    from core.identity.models import Account
    from core.reception import operations as reception_ops
    from tenants.models import Unit

    town2 = db.session.get(Unit, tree.town2)
    officer = db.session.scalar(db.select(Account).where(Account.username == "victim-officer"))
    today = calendar.today()
    reception_ops.generate_rota(town2, {"month": today.strftime("%Y-%m"), "account_ids": [officer.id]})
    reception = reception_ops.log_reception(town2, {
        "kind": "walk_in", "received_on": today.isoformat(), "staff_id": officer.id, "matter": "西镇接访事项",
        "outcome": "登记为信访举报件", "person": {"name": "西镇接访群众", "phone": "13900002222"}})
    reception_ops.register_petition_from(reception, {"accused_name": "钱不露", "summary": "西镇接访事项",
                                                     "category": "西镇专用类别"})
    return {"reception_id": reception.id}


def _victim_casebook(tree, objects: dict) -> dict:
    """典型案例: a case of 丙市 (a city none of the attackers is under: ``casebook_case_id``), 西镇's proposal to 甲市
    (``casebook_proposal_id``), and 西镇's clearing case naming a case of the province as 参照案例
    (``casebook_reference_id``)."""
    from core.casebook import operations as casebook_ops
    from core.clearing.models import ClearingCase
    from core.extensions import db
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    province, town2 = db.session.get(Unit, tree.province), db.session.get(Unit, tree.town2)
    third_city = tenancy_ops.create_unit("丙市", "city", "980300", province)
    text = {"situation": "反映问题失实。", "scope": "本人。", "method": "书面澄清通知书。", "narrative": "经核查反映失实，予以澄清。",
            "tags": ["澄清情形:失实检举控告"]}
    case = casebook_ops.publish_case(third_city, {**text, "title": "丙市专用案例"}, None)
    province_case = casebook_ops.publish_case(province, {**text, "title": "省级澄清指导案例"}, None)
    proposal = casebook_ops.propose(town2, {**text, "title": "西镇推荐案例", "publisher_id": tree.city}, None)
    ref = casebook_ops.add_reference(town2, "clearing_cases", db.session.get(ClearingCase, objects["case_id"]),
                                     province_case, None)
    return {"casebook_case_id": case.id, "casebook_proposal_id": proposal.id, "casebook_reference_id": ref.id}


def _victim_guidance(tree) -> dict:
    """甲县's 第二纪检监察室 (the county's leader in it) guiding 西镇, with a regular meeting and a guidance visit whose
    problem went to 西镇 as a rectification order: ``office_id``, ``guidance_meeting_id``, ``guidance_visit_id`` (the
    county's records: 404 to every attacker)."""
    from datetime import timedelta

    from core import calendar
    from core.extensions import db
    from core.guidance import operations as guidance_ops
    from core.identity.models import Account
    from tenants.models import Unit

    county = db.session.get(Unit, tree.county)
    lead = db.session.scalar(db.select(Account).where(Account.username == "zones-county-leader"))
    today = calendar.today()
    office = guidance_ops.create_office(county, {"name": "第二纪检监察室", "member_account_ids": [lead.id],
                                                 "township_ids": [tree.town2]})
    meeting = guidance_ops.log_meeting(office, {"held_on": today.isoformat(), "attendees": ["西镇纪委书记"],
                                                "township_ids": [tree.town2], "notes": "西镇例会纪要"})
    visit = guidance_ops.log_visit(office, {"visited_on": today.isoformat(), "township_id": tree.town2,
                                            "staff_account_ids": [lead.id], "checked": "西镇督查内容",
                                            "problems": [{"description": "西镇督查问题"}]})
    guidance_ops.raise_problems(visit, {"due_on": (today + timedelta(days=10)).isoformat()})
    return {"office_id": office.id, "guidance_meeting_id": meeting.id, "guidance_visit_id": visit.id}


def _victim_bulletin(tree) -> dict:
    """The bulletin (通报) of 西镇's county: published to the county and its city, it ranks 西镇 by name."""
    from core.extensions import db
    from reporting.bulletins import operations as bulletin_ops
    from tenants.models import Unit

    bulletin, _built = bulletin_ops.build(db.session.get(Unit, tree.county), "weekly",
                                          bulletin_ops.period_of("weekly"))
    assert "西镇" in [line["name"] for line in bulletin.snapshot["children"]]
    return {"report_bulletin_id": bulletin.id}


def _victim_indicator(tree) -> dict:
    """An indicator of 西镇's own (as if it had one): nobody outside 西镇 and below it may see or change it."""
    from core.extensions import db
    from reporting.indicators import operations as indicator_ops
    from tenants.models import Unit

    indicator = indicator_ops.define_indicator(db.session.get(Unit, tree.town2), {
        "name": "西镇专用指标", "terms": [{"figure": "clearing.coverage", "weight": 100}]})
    return {"indicator_id": indicator.id}


def _victim_import(tree) -> dict:
    """西镇's ledger import, uploaded (its file sealed) and waiting for its column mapping."""
    from core.extensions import db
    from core.imports import operations as import_ops
    from tenants.models import Unit

    job = import_ops.upload(db.session.get(Unit, tree.town2), "西镇信访台账.csv",
                            "受理编号,被反映人姓名,举报人姓名\n西1,李某,王秘密\n".encode())
    return {"import_id": job.id}


def _victim_export(tree) -> dict:
    """西镇's officer's export of its petition ledger, asked of a job (its file is named after 西镇)."""
    from core.extensions import db
    from reporting.exports import operations as export_ops
    from reporting.exports.registry import EXPORTERS
    from tenants.models import Unit

    export = export_ops.request_export(EXPORTERS["petitions"], db.session.get(Unit, tree.town2), {}, 2)
    return {"export_id": export.id}


def _arg_name(rule, name: str) -> str:
    """The victim object a URL parameter names: reporting's bulletins (通报) share the zeroing campaign's
    parameter name ``bulletin_id``."""
    if name == "bulletin_id" and rule.endpoint.startswith(("bulletins.", "api.bulletin_")):
        return "report_bulletin_id"
    if name == "case_id" and rule.endpoint.startswith(("cases.", "api.cases_")):  # 审查调查 (not a clearing case)
        return "investigation_case_id"
    if name == "name" and rule.endpoint == "admin.dictionary":
        return "dictionary_name"
    return name


def victim_args(rule, args, choice=None):
    missing = {name for name in rule.arguments if _arg_name(rule, name) not in args} - set(choice or {})
    assert not missing, f"teach the isolation sweep the URL parameter(s) {missing} of {rule.rule}"
    return {name: (choice or {}).get(name, args.get(_arg_name(rule, name))) for name in rule.arguments}


def sweep_rules(app):
    """Every (rule, method, choice): ``choice`` fixes each ``any(...)`` parameter to one of its values."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        choices = [{}]
        for name, converter in rule._converters.items():
            if hasattr(converter, "items"):
                choices = [{**c, name: value} for c in choices for value in sorted(converter.items)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for choice in choices:
                yield rule, method, choice


def call(client, rule, method, args, headers=None, choice=None):
    from flask import url_for

    with client.application.test_request_context():
        path = url_for(rule.endpoint, **victim_args(rule, args, choice))
    kwargs = {"headers": headers or {}}
    if rule.rule.startswith("/api/") and method in ("POST", "PATCH"):
        kwargs["json"] = {}
    return client.open(path, method=method, **kwargs)


def readable(response) -> str:
    """The response as a person would read it: JSON with its escapes undone, a Word or xlsx file (a zip) by
    the text of its parts."""
    if response.is_json:
        return json.dumps(response.get_json(silent=True), ensure_ascii=False)
    body = response.get_data()
    if not body.startswith(b"PK"):
        return body.decode("utf-8", "replace")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_anonymous_gets_login_or_401_everywhere(app, world):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for rule, method, choice in sweep_rules(app):
            response = call(client, rule, method, world["args"], choice=choice)
            body = readable(response)
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, (rule.rule, method, response.status_code)
            else:
                assert response.status_code == 302 and "/login" in response.location, (rule.rule, method)
            assert not any(marker in body for marker in world["markers"]), (rule.rule, method)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("via", ["session", "token"])
def test_members_of_other_units_get_404_for_every_object_of_the_victim_unit(app, world, browser, via):
    """Every role of a sibling township, a leader of another county and an analyst of another city."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        checked = 0
        for username in world["attackers"]:
            client = app.test_client()
            headers = None
            if via == "session":
                client.post("/login", data={"username": username, "password": "Correct-Horse-42"})
            else:
                headers = bearer(app, username)
            for rule, method, choice in sweep_rules(app):
                if via == "token" and not rule.rule.startswith("/api/"):
                    continue
                response = call(client, rule, method, world["args"], headers, choice)
                body = readable(response)
                leaked = [m for m in world["markers"] if m in body]
                assert not leaked, f"{username} {method} {rule.rule} shows {leaked}"
                if rule.arguments:
                    assert response.status_code == 404, f"{username} {method} {rule.rule} -> {response.status_code}"
                checked += 1
        assert checked > 100
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("via", ["session", "token"])
def test_victim_objects_through_the_attackers_own_unit_are_404(app, world, via):
    """The IDOR probe: a member of a sibling township or another county puts the victim's object ids
    into URLs of its own unit. Its own unit resolves; the objects must not."""
    app.config["WTF_CSRF_ENABLED"] = False
    own_units = {"east-leader": world["tree"].town, "east-officer": world["tree"].town,
                 "east-intake": world["tree"].town, "east-reviewer": world["tree"].town,
                 "other-county-leader": world["tree"].other_county}
    try:
        checked = 0
        for username, own in own_units.items():
            client = app.test_client()
            headers = None
            if via == "session":
                client.post("/login", data={"username": username, "password": "Correct-Horse-42"})
            else:
                headers = bearer(app, username)
            args = {**world["args"], "unit_id": own}
            for rule, method, choice in sweep_rules(app):
                objects = set(rule.arguments) - {"unit_id"} - set(choice)
                if "unit_id" not in rule.arguments or not objects:
                    continue
                if via == "token" and not rule.rule.startswith("/api/"):
                    continue
                response = call(client, rule, method, args, headers, choice)
                body = readable(response)
                leaked = [m for m in world["markers"] if m in body]
                assert not leaked, f"{username} {method} {rule.rule} shows {leaked}"
                assert response.status_code == 404, f"{username} {method} {rule.rule} -> {response.status_code}"
                checked += 1
        assert checked > 20
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_platform_admins_never_enter_a_unit_workspace(app, world, factory, browser):
    """三员 manage the platform but read no case data: every /u/<unit>/ route is 404 for them."""
    for role in ("system", "security", "audit"):
        factory.account(f"{role}-admin", platform_role=role)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for role in ("system", "security", "audit"):
            client = app.test_client()
            browser.client = client
            browser.login(f"{role}-admin")
            for rule, method, choice in sweep_rules(app):
                if rule.rule.startswith(("/u/", "/api/v1/u/")):
                    assert call(client, rule, method, world["args"], choice=choice).status_code == 404, (role, rule.rule)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_denied_access_is_audited(app, world, browser):
    browser.login("east-officer")
    assert browser.get(f"/u/{world['tree'].town2}/").status_code == 404
    with app.app_context():
        from core import context
        from core.audit.models import AuditEvent
        from core.extensions import db

        context.activate(context.ActingContext(platform_role="audit"), db.session)
        denied = db.session.scalars(db.select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert any(e.account_name == "east-officer" and e.object_id == str(world["tree"].town2) for e in denied)


def _record_markers(app, world) -> list[str]:
    """What identifies 西镇's records: their numbers, the persons named in them, their summaries."""
    from core import context
    from core.clearing.models import ClearingCase
    from core.extensions import db
    from core.petitions.models import Petition
    from core.supervision.models import SupervisionItem

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        numbers = [*db.session.scalars(db.select(Petition.number).where(Petition.unit_id == world["tree"].town2)),
                   *db.session.scalars(db.select(ClearingCase.number).where(ClearingCase.unit_id == world["tree"].town2)),
                   *db.session.scalars(db.select(SupervisionItem.number))]
    assert len(numbers) >= 5 and all(numbers)
    return [*numbers, "钱不露", "赵受屈", "王秘密", "反映西镇某干部问题", "西片检查小结", "西镇回访未落实", "西镇线索摘要",
            "孙线索"]


def test_roles_without_record_access_see_figures_never_records(app, world, factory, monkeypatch):
    """Analysts and unit admins read no records (DESIGN's matrix): at 西镇 itself, at its county (whose zones
    and grants name 西镇's records) and at its city, no GET of any page or API shows a record's number, a
    person's name or a summary."""
    tree = world["tree"]
    viewers = {"victim-unitadmin": tree.town2, "west-analyst": tree.town2, "county-analyst": tree.county,
               "county-unitadmin": tree.county, "city-analyst": tree.city}
    for username, role in (("west-analyst", "analyst"), ("county-analyst", "analyst"),
                           ("county-unitadmin", "unit_admin"), ("city-analyst", "analyst")):
        factory.account(username, [(viewers[username], role)])
    markers = _record_markers(app, world)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    opened = 0
    for username, unit in viewers.items():
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "Correct-Horse-42"})
        for rule, method, choice in sweep_rules(app):
            if method != "GET":
                continue
            response = call(client, rule, method, {**world["args"], "unit_id": unit}, choice=choice)
            assert response.status_code < 500, f"{username} GET {rule.rule} -> {response.status_code}"
            leaked = [m for m in markers if m in readable(response)]
            assert not leaked, f"{username} GET {rule.rule} shows {leaked}"
            opened += response.status_code == 200
    assert opened > 50  # the sweep saw real pages, not only 404s


def test_the_victim_unit_sees_its_own_workspace(app, world, browser):
    """The sweep would pass vacuously if nobody could see anything: the owner can."""
    browser.login("victim-unitadmin")
    response = browser.get(f"/u/{world['tree'].town2}/members")
    assert response.status_code == 200
    assert "victim-unitadmin" in response.get_data(as_text=True)
