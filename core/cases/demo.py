"""Demo cases (审查调查) of 松林县's townships, through the operations, after the leads' demo: 城关镇's lead converted
from a petition and verified with 建议立案 becomes a case in review at the county after one send-back (so
county-reviewer has work waiting); another lead of 城关镇, registered and verified here, becomes a case the county
agreed and the town's leader decided (党纪警告), whose delivery is overdue (the scan warns the handler and the
county, and the figures count it)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.cases import operations as ops
from core.cases.models import Case
from core.cases.queries import case_of_lead
from core.extensions import db
from core.leads import operations as lead_ops
from core.leads.models import Lead
from tenants.demo import acting_as, unit_by_code

TOWN = "990121001"


def _ago(days: int) -> str:
    return (calendar.today() - timedelta(days=days)).isoformat()


def _file(case: Case, steps, findings: str, proposal: dict) -> None:
    for days, kind, content in steps:
        ops.add_investigation_step(case, {"taken_on": _ago(days), "kind": kind, "content": content})
    ops.update_file(case, {"findings": findings, **proposal})


def _in_review(town, county) -> int:
    """The converted lead (verified 建议立案 by the leads' demo): submitted, sent back once, answered, resubmitted."""
    lead = db.session.scalar(select(Lead).where(Lead.unit_id == town.id, Lead.state == "verified",
                                                Lead.petition_id.is_not(None)).order_by(Lead.id))
    if lead is None or case_of_lead(lead) is not None or not ops.may_open_from(lead):
        return 0
    with acting_as("town-officer"):
        case = ops.open_from_lead(lead, town)
        _file(case, [(0, "talk", "在镇纪委谈话室与被审查调查人谈话，制作谈话笔录"),
                     (0, "evidence", "调取村低保评审会议记录及发放花名册")],
              "经查，被审查调查人在低保评审中违反群众纪律，优亲厚友", {
                  "category": "party", "kind": "warning", "form": "second",
                  "reasons": "违反《中国共产党纪律处分条例》群众纪律相关规定"})
        ops.take_step(case, "submit", {}, acting_unit=town)
    with acting_as("county-reviewer"):
        ops.take_step(case, "review_send_back", {"points": "请补充调取低保对象入户核查记录，核实涉及户数及金额"},
                      acting_unit=county)
    with acting_as("town-officer"):
        ops.add_investigation_step(case, {"kind": "evidence", "content": "调取入户核查记录，核实涉及 3 户、金额 1.2 万元"})
        ops.take_step(case, "resubmit", {"answer": "已补充调取入户核查记录并核实户数、金额，事实部分相应补充"},
                      acting_unit=town)
    return 1


def _decided_late(town, county) -> int:
    """A lead registered and verified 建议立案 two months ago; its case agreed, decided, its delivery overdue."""
    with acting_as("town-officer"):
        lead = lead_ops.register_lead(town, {
            "source": "inspection_tour", "source_note": "县委第三巡察组移交", "received_on": _ago(75),
            "summary": "反映被反映人违规报销差旅费用",
            "persons": [{"name": "谢建军", "position": "镇财政所副所长", "work_unit": "城关镇财政所",
                         "level": "staff", "party_member": True}]})
        lead_ops.dispose(lead, "verify", {"report": "经初步核实，违规报销问题基本属实", "recommendation": "file",
                                          "form": "second", "disposed_on": _ago(70)})
        case = ops.open_from_lead(lead, town, {"opened_on": _ago(68)})
        _file(case, [(65, "talk", "与被审查调查人谈话，本人承认违规报销事实"),
                     (60, "evidence", "调取 2025 年度差旅费报销凭证 14 份")],
              "经查，被审查调查人违规报销差旅费 6800 元，已全额退缴", {
                  "category": "party", "kind": "warning", "form": "second", "reasons": "违反廉洁纪律"})
        ops.take_step(case, "submit", {"submitted_on": _ago(55)}, acting_unit=town)
    with acting_as("county-reviewer"):
        ops.take_step(case, "review_agree", {"points": "事实清楚，证据确实充分，定性准确，处理恰当",
                                             "reviewed_on": _ago(50)}, acting_unit=county)
    with acting_as("town-leader"):
        ops.take_step(case, "decide", {"decided_on": _ago(45), "note": "城关纪发〔2026〕12号"}, acting_unit=town)
    with acting_as("town-officer"):
        done = {"deliver_person": 43, "archive": 30}
        for step in case.execution:
            if step.kind in done:
                ops.complete_execution_step(case, step, {"done_on": _ago(done[step.kind]),
                                                         "evidence": "送达回证已签收" if step.kind != "archive"
                                                         else "组织部门档案接收回执"})
    return 1


def seed() -> dict:
    town = unit_by_code(TOWN)
    if town is None:
        return {}
    county = db.session.get(type(town), town.parent_id)
    n = _in_review(town, county) + _decided_late(town, county)
    with context.acting(context.maintenance_context(), db.session):
        warned = ops.scan_overdue(calendar.today())
        db.session.flush()
    return {"cases": n, "case_warnings": warned["execution_overdue"] + warned["review_overdue"]}
