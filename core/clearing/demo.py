"""Demo clearing work for the demo province: the city's conditions list, pools with priority cases, a
quarterly batch, cases in every stage across the townships of three counties, escalated reviews
waiting at 松林县, registered supervision and a progress check on a delayed case, and visits due.

Everything goes through the real operations; only deadlines are then moved back, because a demo
needs delayed cases and overdue visits that nobody can produce today. Runs from ``flask demo``.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import calendar, context
from core.clearing import operations as ops
from core.clearing.models import ClearingCase
from core.extensions import db
from core.identity.models import Account
from core.supervision import operations as supervision_ops
from tenants.models import Unit

# The chain to each state, with the data each step needs (dates filled in at run time).
PATH = ["assess", "review", "submit_plan", "approve_plan", "clear", "feedback", "file"]
STOP_AT = {"applied": 0, "assessed": 1, "reviewed": 2, "plan_submitted": 3, "plan_approved": 4, "cleared": 5,
           "fed_back": 6, "filed": 7}
PEOPLE = [
    ("刘建国", "村党支部书记", "前进村", "反映在棚户区改造拆迁补偿款发放中收受好处", ["land", "frontline"]),
    ("陈美华", "副镇长", "镇人民政府", "反映滥用职权阻挠村民建房", ["frontline"]),
    ("王志强", "村委会主任", "红旗村", "反映侵占村集体“三资”", ["rural"]),
    ("赵丽", "站长", "镇农业综合服务站", "反映疫木除治验收中徇私舞弊", ["reform", "good_record"]),
    ("孙伟", "村党支部书记", "新河村", "反映乡村振兴项目虚报冒领", ["rural", "good_record"]),
    ("周敏", "村监委会主任", "东山村", "反映违规发放低保", []),
    ("吴海", "所长", "镇财政所", "反映违规拨付项目资金", ["reform"]),
    ("郑强", "村会计", "西湾村", "反映挪用集体资金", []),
    ("冯军", "村党支部副书记", "石桥村", "反映征地补偿中优亲厚友", ["land"]),
    ("何平", "村委会主任", "柳塘村", "反映工程项目围标", []),
]


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _as(username: str | None, unit: Unit):
    account_id = db.session.scalar(select(Account.id).where(Account.username == username)) if username else None
    return context.acting(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path),
                          db.session)


def _data(step: str, today, person: str) -> dict:
    day = today.isoformat()
    return {
        "assess": {"verified_fully": 1, "conclusion_clear": 1, "handling_done": 1,
                   "opinion": "信访室、审理室、案管室联审：反映问题经核查失实，建议澄清"},
        "review": {"opinion": "同意澄清"},
        "submit_plan": {"method": "village_meeting", "scope": "村两委成员及村民代表", "venue": "村文化礼堂",
                        "planned_on": day},
        "approve_plan": {},
        "clear": {"held_on": day, "attendance": "村两委成员、村民代表共40余人", "presided_by": "镇纪委书记"},
        "feedback": {"person_on": day, "party_org": "所在村党支部", "org_head": "党支部书记", "org_on": day,
                     "personnel_dept": "镇党委组织办", "personnel_on": day},
        "file": {"filed_on": day},
    }[step]


def _case(unit: Unit, officer: str | None, leader: str | None, i: int, state: str, *, green: bool = False,
          sensitive: bool = False) -> ClearingCase:
    today = calendar.today()
    name, position, place, accusation, flags = PEOPLE[i % len(PEOPLE)]
    subject = {"person_name": name, "person_position": position, "person_work_unit": f"{unit.name}{place}",
               "accusation": accusation, "priority_flags": flags}
    with _as(officer, unit):
        if green:
            case = ops.register_application(unit, {**subject, "request": "本人书面申请组织予以澄清正名",
                                                   "applied_on": today.isoformat()})
        else:
            candidate = ops.record_candidate(unit, {**subject, "reference": f"{unit.name}信访件{i + 1}",
                                                    "concluded_on": (today - timedelta(days=60 + 30 * i)).isoformat(),
                                                    "finding": "经核查，反映问题不属实"})
            case = ops.screen_candidate(candidate, accept=True)
    for step in PATH[:STOP_AT.get(state, 1)]:
        data = _data(step, today, name)
        if step == "assess" and sensitive:
            data = {**data, "sensitive": 1}
        with _as(leader if step in ("review", "approve_plan") else officer, unit):
            ops.take_step(case, step, data, acting_unit=unit)
        if step == "assess" and state == "escalated":
            with _as(leader, unit):
                ops.take_step(case, "escalate", {}, acting_unit=unit)
            break
    if state == "declined":
        with _as(leader, unit):
            ops.take_step(case, "decline", {"reason": "被反映人另有违纪问题正在审查，暂不宜澄清"}, acting_unit=unit)
    return case


def seed() -> dict:
    today = calendar.today()
    city, county = _unit("990100"), _unit("990121")
    with _as("city-leader", city):
        for negative, text in ((False, "检举控告经核查失实，造成不良影响的"), (False, "被反映人主动申请澄清的"),
                               (True, "被反映人另有违纪违法问题正在审查调查的"), (True, "澄清可能引发新的矛盾纠纷的")):
            ops.add_condition(city, negative=negative, text=text)

    # 城关镇: a pool to work from (the demo's main path), a batch, and a case in every stage.
    home = _unit("990121001")
    with _as("town-officer", home):
        pool = [ops.record_candidate(home, {
            "reference": f"城关纪信〔2025〕{n}号", "concluded_on": (today - timedelta(days=200 + 40 * n)).isoformat(),
            "person_name": name, "person_position": position, "person_work_unit": f"城关镇{place}",
            "accusation": accusation, "finding": "经核查，反映问题不属实", "priority_flags": flags})
            for n, (name, position, place, accusation, flags) in enumerate(PEOPLE[5:9], start=11)]
        quarter = (today.month - 1) // 3 + 1
        ops.plan_batch(home, {"year": today.year, "quarter": quarter,
                              "target_on": (today + timedelta(days=30)).isoformat(),
                              "note": "本季度集中澄清"}, [c.id for c in pool[:2]])
    cases = [_case(home, "town-officer", "town-leader", i, state)
             for i, state in enumerate(("applied", "assessed", "reviewed", "plan_submitted", "plan_approved",
                                        "cleared", "fed_back", "filed"))]
    cases.append(_case(home, "town-officer", "town-leader", 8, "applied", green=True))
    cases.append(_case(home, "town-officer", "town-leader", 9, "declined"))

    # The other townships of 松林县 and two other counties: work at every stage, two reviews escalated.
    spread = {"990121002": ("escalated", "cleared", "filed", "applied"),
              "990121003": ("escalated", "reviewed", "fed_back"),
              "990121004": ("applied", "plan_approved", "filed", "filed"),
              "990121005": ("assessed", "cleared"),
              "990122001": ("filed", "cleared", "applied"),
              "990221001": ("filed", "filed", "plan_submitted"),
              "990321001": ("cleared", "assessed")}
    for code, states in spread.items():
        unit = _unit(code)
        for i, state in enumerate(states):
            cases.append(_case(unit, None, None, i + len(code), state, sensitive=state == "escalated",
                               green=i == 3))

    # Delays: a case of 城关镇 stuck at assessment for weeks, visits of two cleared cases overdue.
    delayed = cases[1]
    delayed.due_on = calendar.add_workdays(today, -12)
    for case in (cases[5], cases[6]):
        for visit in case.visits:
            visit.due_on = calendar.add_workdays(today, -3)
    db.session.flush()
    with context.acting(context.maintenance_context(
            account_id=db.session.scalar(select(Account.id).where(Account.username == "county-leader"))), db.session):
        supervision_ops.issue_item(county, home, kind="registered", title=f"{delayed.person_name}澄清件进展滞后，挂号督办",
                                   body="请每周五报送进展，本月底前完成澄清。", due_on=today + timedelta(days=20),
                                   report_cadence="weekly:5", subject_number=delayed.number)
        supervision_ops.record_check(county, home, phase="progress", subject_number=delayed.number,
                                     checked_on=today, checked_by="松林县纪委第二监督检查室",
                                     findings="质效评估已超期，联审意见尚未形成，要求一周内完成")
        warnings = ops.scan_deadlines(today)
    return {"clearing_cases": len(cases), "pool": len(pool), "warnings": warnings}
