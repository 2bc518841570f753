"""Demo leads (问题线索) of 松林县's townships over the last three months, through the operations: 城关镇's registered
and handled by town-officer (one converted from a petition and verified with 建议立案, a talk, a shelved one, one
closed by the leader, one overdue, one new), and a few of 新桥镇 and 石桥乡 in other states. The overdue scan runs
at the end (what the periodic job does), so the inbox warns and the figures count the overdue ones.

The monthly reports (月报备) and the funnel (一个漏斗): 城关镇 reported every month that owed one, on time, and
松林县's case admin received them; 石桥乡's last report waits to be received (county-caseadmin); 新桥镇 reported an
earlier month late and has not reported the last one due (named in the case admin's inbox, counted late). Three
城关镇 leads of the reported months are on the funnel's tracks: one 县领办 (approved: handled in 松林县's registry,
城关镇 assists), one 县镇合办 with county-officer (approved, and talked together), one waiting for county-leader's
approval of 县领办; a 石桥乡 lead is confirmed 镇案镇办, and one 石桥乡 lead closed as 反映失实 put its person in
石桥乡's clearing pool. The other reported leads wait for the case admin's track decision."""
from __future__ import annotations

from datetime import date, timedelta

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
    """As the demo account (the secretaries of 新桥镇 and 石桥乡 are made later, by the zones' demo: then as a job)."""
    if username and _account_id(username) is not None:
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
    funnel = _seed_reports_and_funnel(town)
    with context.acting(context.maintenance_context(), db.session):
        warned = ops.scan_overdue(calendar.today())
        late = ops.scan_reports(calendar.today())
        db.session.flush()
    return {"leads": n, "lead_warnings": warned["warned"], "late_reports": late["named"], **funnel}


# ---------------------------------------------------------------- 月报备 and 一个漏斗


def _register_in(unit: Unit, officer: str | None, received_on: date, source: str, note: str, persons, summary) -> Lead:
    with _as(officer, unit):
        return ops.register_lead(unit, {"source": source, "source_note": note, "received_on": received_on.isoformat(),
                                        "summary": summary, "persons": persons})


def _submit_all(unit: Unit, leader: str | None, periods: list[str], *, late: bool = False) -> list:
    """Each over month that owes a report, submitted (on time, or three days late) by the unit's leader."""
    reports = []
    county = ops.county_of(unit)
    day = ops.due_day_of(county)
    for period in periods:
        if not ops.owes(unit, period) or ops.report_of(unit, period) is not None:
            continue
        due = ops.due_date(period, day)
        on = due + timedelta(days=3) if late else due - timedelta(days=4)
        with _as(leader, unit):
            reports.append(ops.submit_report(unit, period, submitted_on=min(on, calendar.today())))
    return reports


def _seed_reports_and_funnel(town: Unit) -> dict:
    today = calendar.today()
    xinqiao, shiqiao = unit_by_code(XINQIAO), unit_by_code(SHIQIAO)
    county = ops.county_of(town)
    if county is None or xinqiao is None or shiqiao is None:
        return {}
    last_due = ops.last_due_period(today, ops.due_day_of(county))
    before = ops.previous_period(last_due)
    due_first, due_last = ops.period_bounds(last_due)
    before_first, _ = ops.period_bounds(before)
    # Leads of the reported months that go through the funnel (received then; disposed or decided since).
    led = _register_in(town, "town-officer", before_first + timedelta(days=5), "assigned", "市纪委交办",
                       [_person("何建军", "副镇长", "township")], "反映被反映人在工程招投标中打招呼、干预")
    joint = _register_in(town, "town-officer", due_first + timedelta(days=3), "inspection_tour", "县委第一巡察组移交",
                         [_person("罗志明", "村党支部书记", "village", work_unit="东岗村"),
                          _person("高玉芬", "村妇联主席", "village", False, "东岗村")],
                         "巡察发现村集体土地流转收益去向不明")
    pending = _register_in(town, "town-officer", due_last - timedelta(days=2), "other_body", "县审计局移送",
                           [_person("梁世杰", "镇财政所所长", "staff")], "审计发现专项资金拨付手续不全")
    shiqiao_lead = _register_in(shiqiao, None, due_first + timedelta(days=8), "supervision", "",
                                [_person("宋德福", "村委会委员", "village")], "日常监督发现村级报账不规范")
    unfounded = _register_in(shiqiao, None, due_first + timedelta(days=2), "other", "群众来信转线索",
                             [_person("唐明远", "村党支部书记", "village", work_unit="石桥村")],
                             "反映被反映人侵占集体山林承包费")
    xinqiao_lead = _register_in(xinqiao, None, due_first + timedelta(days=4), "supervision", "",
                                [_person("邓国栋", "村委会主任", "village")], "反映村级工程未按规定公示")
    with _as(None, shiqiao):
        ops.dispose(unfounded, "close", {"reason": "经了解，山林承包费已按合同入账，反映问题失实", "unfounded": "1",
                                         "disposed_on": (due_first + timedelta(days=20)).isoformat()})
        ops.dispose(shiqiao_lead, "talk", {"kind": "talk", "content": "镇纪委与被反映人谈话提醒",
                                           "reply": "承认报账不及时，已整改", "assessment": "reminded",
                                           "disposed_on": (due_first + timedelta(days=15)).isoformat()})
    with _as(None, xinqiao):
        ops.dispose(xinqiao_lead, "talk", {"kind": "letter", "content": "向被反映人发出函询通知书",
                                           "reply": "书面说明已补充公示", "assessment": "accepted",
                                           "disposed_on": (due_first + timedelta(days=12)).isoformat()})
    periods = []
    period = ops.previous_period(ops.period_of(today))
    for _i in range(4):
        if ops.due_date(period, ops.due_day_of(county)) < today:
            periods.append(period)
        period = ops.previous_period(period)
    periods.reverse()
    # 城关镇: every month reported on time and received; 石桥乡: the last one waits to be received; 新桥镇: an
    # earlier month reported late, the last one due not reported at all.
    received = _submit_all(town, "town-leader", periods)
    received += _submit_all(shiqiao, "shiqiao-leader", [p for p in periods if p != last_due])
    waiting = _submit_all(shiqiao, "shiqiao-leader", [last_due])
    received += _submit_all(xinqiao, "xinqiao-leader", [p for p in periods if p != last_due], late=True)
    with acting_as("county-caseadmin"):
        for report in received:
            ops.receive_report(report, county)
        # The funnel: 县领办 and 县镇合办 approved, one 县领办 waiting for approval, one confirmed 镇案镇办.
        decisions = [ops.decide_track(led, county, {"track": "county_led", "reason": "涉及乡科级干部，由县纪委监委领办"}),
                     ops.decide_track(joint, county, {"track": "joint", "reason": "涉及多名村干部和集体资产，县镇合办",
                                                      "staff_ids": [_account_id("county-officer")]})]
        ops.decide_track(pending, county, {"track": "county_led", "reason": "专项资金问题线索，拟由县纪委监委领办"})
        ops.decide_track(shiqiao_lead, county, {"track": "township", "reason": "问题轻微，由石桥乡纪委办理"})
    with acting_as("county-leader"):
        for decision in decisions:
            ops.approve_decision(decision, county, approve=True, note="同意")
    with acting_as("county-officer"):
        share = next(iter(_shares_of(joint, "joint")), None)
        ops.step_through_share(joint, "talk", {"kind": "talk", "content": "县镇联合与被反映人谈话",
                                               "reply": "对土地流转收益去向说明不清", "assessment": "verify"}, share)
    with acting_as("town-officer"):
        taken = db.session.get(Lead, led.county_lead_id)
        share = next(iter(_shares_of(taken, "county_led_assist")), None)
        ops.step_through_share(taken, "talk", {"kind": "letter", "content": "镇纪委协助向被反映人发出函询通知书",
                                               "reply": "书面说明正在收集材料", "assessment": "verify"}, share)
    return {"lead_reports": len(received) + len(waiting), "lead_track_decisions": 4}


def _account_id(username: str) -> int:
    from core.identity.models import Account

    return db.session.scalar(select(Account.id).where(Account.username == username))


def _shares_of(lead: Lead, purpose: str) -> list:
    from tenants.models import Share

    return list(db.session.scalars(select(Share).where(Share.object_type == "leads", Share.object_id == lead.id,
                                                       Share.purpose == purpose, Share.revoked_at.is_(None))))
