"""Demo clearing work for the demo province: the city's conditions list, pools with priority cases, a
quarterly batch, cases in every stage across the townships of three counties, escalated reviews
waiting at 松林县, registered supervision and a progress check on a delayed case, and visits due.

The cleared cases carry a believable last quarter: each was cleared in a past week (``HELD``), fed back
and filed a few days later, some later than their deadline (按期澄清率 differs between counties), and
the older ones visited (回访) once or up to four times with the dates of the visits. The dates go into
the operations' own fields (``applied_on`` of a green-channel application, ``held_on``, the feedback
dates, ``filed_on``, ``visited_on``), which accept past dates, so every figure is counted by the
operations themselves. Two things the operations refuse or cannot know are set directly, narrowly:

- a plan's ``planned_on`` must not be before today when it is submitted: the plan is submitted with
  today, then its planned and approval dates are set to the past days the clearing was planned for;
  likewise the ``applied_on`` of a case screened in from the pool (the screening dates it today);
- the step deadline of an approved plan counts from today: it is moved back to count from the past
  approval before the clearing is recorded, so the operation itself decides whether it was on time.

Neither is a figure; the workflow log still shows today as the time each step was typed in (补录).
Besides these, only deadlines are moved back, because a demo needs a delayed case that nobody can
produce today. Runs from ``flask demo``.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core import calendar, context
from core.clearing import operations as ops
from core.clearing.models import ClearingCase, ClearingVisit
from core.clearing.workflow import STEP_WORKDAYS
from core.extensions import db
from core.handlers import operations as handler_ops
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
# 城关镇's pool: people waiting to be screened (待甄别), none of whom has a case yet.
POOL_PEOPLE = [
    ("钱玉兰", "村妇联主席", "南岭村", "反映在危房改造补助评定中优亲厚友", ["rural"]),
    ("许志刚", "村党支部书记", "北塘村", "反映在征地拆迁中多报面积", ["land", "frontline"]),
    ("邓文", "副站长", "镇社会事务服务站", "反映违规办理低保", []),
    ("曹雪梅", "村委会委员", "青石村", "反映虚报误工补贴", ["good_record"]),
]

# For each township, its cases that reach 澄清 (in the order of their states below): how many weeks ago
# the clearing was held, whether it came later than the approved plan's deadline, and how many of its
# four visits (一人四访) have been made since.
HELD = {
    "990121001": [(6, False, 0), (7, True, 0), (9, False, 4)],  # the first two: visits overdue
    "990121002": [(1, False, 0), (10, False, 4)],
    "990121003": [(3, False, 0)],
    "990121004": [(8, True, 2), (11, False, 4)],
    "990121005": [(0, False, 0)],
    "990122001": [(9, True, 1), (2, True, 0)],
    "990221001": [(5, False, 2), (10, False, 4)],
    "990321001": [(6, True, 0)],
}
REACHES_CLEARING = ("cleared", "fed_back", "filed")


def _held_day(today: date, weeks_ago: int, i: int) -> date:
    day = today - timedelta(weeks=weeks_ago, days=2 + i % 3)
    return day - timedelta(days=max(day.weekday() - 4, 0))  # a working day


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _as(username: str | None, unit: Unit):
    account_id = db.session.scalar(select(Account.id).where(Account.username == username)) if username else None
    return context.acting(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path),
                          db.session)


def _data(step: str, today, person: str, held: date | None = None) -> dict:
    day = today.isoformat()
    held = held or today
    fed, filed = min(held + timedelta(days=3), today).isoformat(), min(held + timedelta(days=7), today).isoformat()
    return {
        "assess": {"verified_fully": 1, "conclusion_clear": 1, "handling_done": 1,
                   "opinion": "信访室、审理室、案管室联审：反映问题经核查失实，建议澄清"},
        "review": {"opinion": "同意澄清"},
        "submit_plan": {"method": "village_meeting", "scope": "村两委成员及村民代表", "venue": "村文化礼堂",
                        "planned_on": day},
        "approve_plan": {},
        "clear": {"held_on": held.isoformat(), "attendance": "村两委成员、村民代表共40余人", "presided_by": "镇纪委书记"},
        "feedback": {"person_on": fed, "party_org": "所在村党支部", "org_head": "党支部书记", "org_on": fed,
                     "personnel_dept": "镇党委组织办", "personnel_on": fed},
        "file": {"filed_on": filed},
    }[step]


def _case(unit: Unit, officer: str | None, leader: str | None, i: int, state: str, *, green: bool = False,
          sensitive: bool = False, history: tuple[int, bool, int] | None = None) -> ClearingCase:
    """One case driven to ``state``; ``history`` (weeks ago, late, visits made) dates a case that reaches 澄清."""
    today = calendar.today()
    held = _held_day(today, history[0], i) if history else None
    late = bool(history and history[1])
    approved = held - timedelta(days=35 if late else 12) if held else None
    applied = held - timedelta(days=60) if held else today
    name, position, place, accusation, flags = PEOPLE[i % len(PEOPLE)]
    subject = {"person_name": name, "person_position": position, "person_work_unit": f"{unit.name}{place}",
               "accusation": accusation, "priority_flags": flags}
    with _as(officer, unit):
        if green:
            case = ops.register_application(unit, {**subject, "request": "本人书面申请组织予以澄清正名",
                                                   "applied_on": applied.isoformat()})
        else:
            candidate = ops.record_candidate(unit, {**subject, "reference": f"{unit.name}信访件{i + 1}",
                                                    "concluded_on": (today - timedelta(days=60 + 30 * i)).isoformat(),
                                                    "finding": "经核查，反映问题不属实"})
            case = ops.screen_candidate(candidate, accept=True)
            case.applied_on = applied  # screened in on the day work began (the screening dates it today)
    for step in PATH[:STOP_AT.get(state, 1)]:
        data = _data(step, today, name, held)
        if step == "assess" and sensitive:
            data = {**data, "sensitive": 1}
        if step == "clear" and held:
            # The approved plan's deadline counted from its past approval: the operation judges 按期.
            case.due_on = calendar.add_workdays(approved, STEP_WORKDAYS["plan_approved"])
        with _as(leader if step in ("review", "approve_plan") else officer, unit):
            ops.take_step(case, step, data, acting_unit=unit)
        if step in ("submit_plan", "approve_plan") and held:
            # Planned for the day it was held, approved before it (a plan cannot be submitted for a past day).
            case.plan = {**case.plan, "planned_on": held.isoformat()} | (
                {"approved_on": approved.isoformat()} if step == "approve_plan" else {})
        if step == "assess" and state in ("escalated", "plan_escalated"):
            with _as(leader, unit):
                ops.take_step(case, "escalate", {}, acting_unit=unit)
            if state == "plan_escalated":
                _plan_sent_up(case, unit, officer, leader, today, name)
            break
    if state == "declined":
        with _as(leader, unit):
            ops.take_step(case, "decline", {"reason": "被反映人另有违纪问题正在审查，暂不宜澄清"}, acting_unit=unit)
    if history:
        _visit(case, unit, officer, held, history[2], today)
    return case


def _plan_sent_up(case: ClearingCase, unit: Unit, officer: str | None, leader: str | None, today: date,
                  name: str) -> None:
    """Reviewed above (the county's leader agrees), then the plan goes back up for the county's approval."""
    county = db.session.get(Unit, unit.parent_id)
    with _as("county-leader", county):
        ops.take_step(case, "higher_review", {"opinion": "同意澄清，方案报县纪委监委审批"}, acting_unit=county)
    with _as(officer, unit):
        ops.take_step(case, "submit_plan", _data("submit_plan", today, name), acting_unit=unit)
    with _as(leader, unit):
        ops.take_step(case, "escalate_plan", {}, acting_unit=unit)


def _visit(case: ClearingCase, unit: Unit, officer: str | None, held: date, made: int, today: date) -> None:
    """The first ``made`` of the case's four follow-up visits, a few weeks apart after the clearing."""
    visits = db.session.scalars(select(ClearingVisit).where(ClearingVisit.case_id == case.id)
                                .order_by(ClearingVisit.id)).all()
    for k, visit in enumerate(visits[:made]):
        visited_on = min(held + timedelta(days=10 + 7 * k), today)
        with _as(officer, unit):
            ops.record_visit(visit, {"visited_on": visited_on.isoformat(), "visitors": "镇纪委书记、承办人",
                                     "mental_state": "思想包袱已放下，心情舒畅",
                                     "work_performance": "工作积极主动，敢于担当",
                                     "family_situation": "家庭和睦", "notes": ""})


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
            for n, (name, position, place, accusation, flags) in enumerate(POOL_PEOPLE, start=11)]
        quarter = (today.month - 1) // 3 + 1
        ops.plan_batch(home, {"year": today.year, "quarter": quarter,
                              "target_on": (today + timedelta(days=30)).isoformat(),
                              "note": "本季度集中澄清"}, [c.id for c in pool[:2]])
    held = iter(HELD["990121001"])
    cases = [_case(home, "town-officer", "town-leader", i, state,
                   history=next(held) if state in REACHES_CLEARING else None)
             for i, state in enumerate(("applied", "assessed", "reviewed", "plan_submitted", "plan_approved",
                                        "cleared", "fed_back", "filed"))]
    cases.append(_case(home, "town-officer", "town-leader", 8, "applied", green=True))
    cases.append(_case(home, "town-officer", "town-leader", 9, "declined"))

    # The other townships of 松林县 and two other counties: work at every stage, two reviews escalated.
    spread = {"990121002": ("escalated", "cleared", "filed", "applied"),
              "990121003": ("escalated", "reviewed", "fed_back"),
              "990121004": ("applied", "plan_approved", "filed", "filed"),
              "990121005": ("assessed", "cleared", "plan_escalated"),
              "990122001": ("filed", "cleared", "applied"),
              "990221001": ("filed", "filed", "plan_submitted"),
              "990321001": ("cleared", "assessed")}
    for code, states in spread.items():
        unit, held = _unit(code), iter(HELD[code])
        for i, state in enumerate(states):
            escalated = state in ("escalated", "plan_escalated")
            cases.append(_case(unit, None, None, i + len(code), state, sensitive=escalated,
                               green=i == 3, history=next(held) if state in REACHES_CLEARING else None))

    # Delays: a case of 城关镇 stuck at assessment for weeks (the visits of its two cases cleared six and
    # seven weeks ago and not yet visited are overdue by their own dates).
    delayed = cases[1]
    delayed.due_on = calendar.add_workdays(today, -12)
    # Applied for and assessed that long ago: its deadline follows its dates, never precedes them.
    delayed.applied_on = calendar.add_workdays(delayed.due_on, -(STEP_WORKDAYS["applied"] + STEP_WORKDAYS["assessed"]))
    db.session.flush()
    with context.acting(context.maintenance_context(
            account_id=db.session.scalar(select(Account.id).where(Account.username == "county-leader"))), db.session):
        supervision_ops.issue_item(county, home, kind="registered", title=f"{delayed.number}澄清件进展滞后，挂号督办",
                                   body="请每周五报送进展，本月底前完成澄清。", due_on=today + timedelta(days=20),
                                   report_cadence="weekly:5", subject_number=delayed.number)
        supervision_ops.record_check(county, home, phase="progress", subject_number=delayed.number,
                                     checked_on=today, checked_by="松林县纪委第二监督检查室",
                                     findings="质效评估已超期，联审意见尚未形成，要求一周内完成")
        warnings = ops.scan_deadlines(today)
    # 承办人: 城关镇's cases are its officer's (who opened them); the leader hands one to 张伟, with a reason.
    with _as("town-leader", home):
        handler_ops.reassign(cases[2], db.session.scalar(select(Account).where(Account.username == "zhang-wei")),
                             unit=home, reason="原承办人参加集中培训，调整由张伟承办")
    return {"clearing_cases": len(cases), "pool": len(pool), "warnings": warnings}
