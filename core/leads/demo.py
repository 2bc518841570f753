"""Demo leads (问题线索) of 松林县's townships over the last three months, through the operations: 城关镇's registered
and handled by town-officer (one converted from a petition and verified with 建议立案, a talk, a shelved one, one
closed by the leader, one overdue, one new), and a few of 新桥镇 and 石桥乡 in other states. The overdue scan runs
at the end (what the periodic job does), so the inbox warns and the figures count the overdue ones."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.extensions import db
from core.leads import operations as ops
from core.leads.models import Lead
from core.leads.queries import lead_of_petition
from core.petitions.models import Petition
from tenants.demo import acting_as, unit_by_code
from tenants.models import Unit

TOWN, XINQIAO, SHIQIAO = "990121001", "990121002", "990121003"


def _person(name, position, level, party=True, work_unit=""):
    return {"name": name, "position": position, "work_unit": work_unit, "level": level, "party_member": party}


# (days ago received, source, source note, persons, summary, disposal: (way, days ago, data, by leader) or None)
TOWN_LEADS = [
    (85, "assigned", "松林县纪委交办", [_person("孙立新", "村党支部书记", "village", work_unit="东岗村")],
     "反映被反映人在危房改造补助评定中优亲厚友",
     ("talk", 70, {"kind": "talk", "content": "在镇纪委谈话室与被反映人谈话，两名干部在场",
                   "reply": "承认评定程序不规范，已组织重新评议", "assessment": "reminded"}, False)),
    (62, "inspection_tour", "县委第二巡察组移交", [_person("周海涛", "村委会主任", "village", work_unit="南坪村"),
                                                    _person("吴秀兰", "村会计", "village", False, "南坪村")],
     "巡察发现村集体资金往来账目不清",
     ("shelve", 40, {"reason": "涉及账目需待县审计局专项审计结果", "review_on": None}, False)),
    (55, "audit", "县审计局审计移送", [_person("郑德胜", "站所负责人", "staff", work_unit="镇农经站")],
     "审计发现农机补贴资料不全",
     ("close", 30, {"reason": "经了解系资料归档遗漏，已补齐，问题不成立"}, True)),
    (50, "supervision", "", [_person("冯永强", "村监委会主任", "village", work_unit="西沟村")],
     "日常监督发现村务公开不及时，存在变相公开", None),
    (8, "other_body", "县公安局移送", [_person("陈红梅", "村党支部副书记", "village", work_unit="北塘村")],
     "反映被反映人参与赌博", None),
]
OTHER_LEADS = {
    XINQIAO: [(70, "assigned", "松林县纪委交办", [_person("褚文斌", "副镇长", "township")], "反映违规收受礼金",
               ("verify", 45, {"report": "经初步核实，收受礼金问题基本属实", "recommendation": "file",
                               "form": "fourth"}, False)),
              (20, "supervision", "", [_person("卫春生", "村党支部书记", "village")], "反映村级工程项目违规发包", None)],
    SHIQIAO: [(75, "other", "群众来电转线索", [_person("蒋国平", "一般干部", "staff", False)], "反映工作日午间饮酒",
               ("talk", 60, {"kind": "letter", "content": "向被反映人发出函询通知书", "reply": "书面说明系周末聚餐",
                             "assessment": "accepted"}, False))],
}


def _dispose(lead: Lead, disposal) -> None:
    way, days_ago, data, _by_leader = disposal
    today = calendar.today()
    data = dict(data, disposed_on=(today - timedelta(days=days_ago)).isoformat())
    if way == "shelve":
        data["review_on"] = (today + timedelta(days=20)).isoformat()
    ops.dispose(lead, way, data)


def _seed_unit(unit: Unit, rows, officer: str | None, leader: str | None) -> int:
    today = calendar.today()
    for days_ago, source, note, persons, summary, disposal in rows:
        raw = {"source": source, "source_note": note, "received_on": (today - timedelta(days=days_ago)).isoformat(),
               "summary": summary, "persons": persons}
        with _as(officer, unit):
            lead = ops.register_lead(unit, raw)
        if disposal is not None:
            with _as(leader if disposal[3] else officer, unit):
                _dispose(lead, disposal)
    return len(rows)


def _as(username: str | None, unit: Unit):
    if username:
        return acting_as(username)
    return context.acting(context.ActingContext(account_id=None, unit_id=unit.id, unit_path=unit.path), db.session)


def _seed_converted(town: Unit) -> int:
    """One of 城关镇's petitions, concluded 属实, converted to a lead and verified with 建议立案."""
    petition = db.session.scalar(select(Petition).where(
        Petition.unit_id == town.id, Petition.outcome == "founded").order_by(Petition.id))
    if petition is None or lead_of_petition(petition) is not None:
        return 0
    with acting_as("town-officer"):
        lead = ops.convert_petition(petition, town)
        ops.dispose(lead, "verify", {"report": "经初步核实，反映问题基本属实，涉嫌违反群众纪律",
                                     "recommendation": "file", "form": "second"})
    return 1


def seed() -> dict:
    town = unit_by_code(TOWN)
    if town is None:
        return {}
    n = _seed_converted(town)
    n += _seed_unit(town, TOWN_LEADS, "town-officer", "town-leader")
    for code, rows in OTHER_LEADS.items():
        unit = unit_by_code(code)
        if unit is not None:
            n += _seed_unit(unit, rows, None, None)
    with context.acting(context.maintenance_context(), db.session):
        warned = ops.scan_overdue(calendar.today())
        db.session.flush()
    return {"leads": n, "lead_warnings": warned["warned"]}
