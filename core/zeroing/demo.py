"""Demo zeroing campaign for the demo province: deployed nine weeks ago and now in its third phase
(动态清零), with a realistic ledger — a few hundred repeat petitions proposed from their 三多 flags,
each with an owner leader, a task force, a plan and a target date, leaders' visits, close-outs spread
over the past weeks, some cases overdue — the cities' weekly returns of the past weeks and last
month's bulletins.

Everything goes through the real operations, with dates the ledger allows to be entered late
(adopted on, visited on, closed out on). Only what no operation can back-date is moved afterwards:
the campaign's start, return submission times and some target dates (so that overdue cases exist).
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from core import calendar, context
from core.directives import operations as directive_ops
from core.extensions import db
from core.handlers import operations as handler_ops
from core.identity.models import Account
from core.petitions import operations as petition_ops
from core.petitions.models import PetitionLink
from core.zeroing import operations as ops
from core.zeroing.models import PHASES, BacklogCase
from tenants.models import Unit, UnitLevel

COUNTIES = ("990121", "990122", "990221", "990321")  # their townships carry the backlog
PER_TOWNSHIP = 11
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
# Summaries describe the matter, never the person (the accused is named in the sealed column only).
MATTERS = [("征地拆迁", "反映村党支部书记在征地补偿款发放中优亲厚友、截留补偿款"),
           ("三资管理", "反映村党支部书记违规处置村集体资产、账目不公开"),
           ("扶贫领域", "反映村党支部书记在低保、扶贫名额分配中弄虚作假"),
           ("工作作风", "反映村党支部书记对群众诉求推诿扯皮、长期不予解决"),
           ("工程项目", "反映村党支部书记插手村级工程项目、围标串标")]
LEADERS = [("张建华", "县委常委、县纪委书记"), ("李卫东", "县纪委副书记"), ("王立新", "镇党委书记"),
           ("陈国平", "镇长"), ("刘明", "镇纪委书记")]


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _as(unit: Unit, username: str | None = None):
    account_id = db.session.scalar(select(Account.id).where(Account.username == username)) if username else None
    return context.acting(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path),
                          db.session)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def seed() -> dict:
    rng = random.Random(20261121)
    today = calendar.today()
    start = _monday(today) - timedelta(weeks=9)
    province = _unit("990000")

    # The stock: each township's repeat petitions, first filed at its county one to three years ago.
    petitions = 0
    for county_code in COUNTIES:
        county = _unit(county_code)
        for town in db.session.scalars(select(Unit).where(Unit.parent_id == county.id).order_by(Unit.code)):
            for n in range(PER_TOWNSHIP):
                name = f"{rng.choice(SURNAMES)}某{'某' if n % 2 else ''}{n + 1}"
                category, summary = rng.choice(MATTERS)
                raw = dict(channel=rng.choice(["letter", "visit", "phone", "web"]), anonymous=False,
                           accused_name=name, accused_position="村党支部书记", accused_level="village",
                           accused_work_unit=f"{town.name}{'东南西北'[n % 4]}村", category=category,
                           summary=summary, content="信访人多次反映，要求查处并退还款项。",
                           informant={"name": f"信访人{n}", "phone": f"139{town.id:04d}{n:04d}"})
                with _as(county):
                    petition_ops.register_petition(county, dict(
                        raw, received_on=today - timedelta(days=rng.randint(400, 1100))))
                with _as(town, "town-intake" if town.code == "990121001" else None):
                    petition = petition_ops.register_petition(town, dict(
                        raw, received_on=start - timedelta(days=rng.randint(30, 200))))
                    for link in db.session.scalars(select(PetitionLink).where(PetitionLink.petition_id == petition.id)):
                        petition_ops.decide_link(link, "confirmed")
                petitions += 1

    with _as(province, "prov-leader"):
        phases, day = [], start
        for name, weeks in zip(PHASES, (3, 3, 10, 4)):
            phases.append({"name": str(name), "starts_on": day, "ends_on": day + timedelta(weeks=weeks, days=-1)})
            day += timedelta(weeks=weeks)
        campaign = directive_ops.send_directive(
            province, title=f"{today.year}年信访积案动态清零专项行动", kind="campaign", audience={"mode": "all"},
            body="坚持一件积案、一名领导包案、一个工作专班、一套化解方案，一周一销号、一月一通报。",
            return_fields=ops.RETURN_FIELDS, return_cadence="weekly:1", phases=phases, purpose="zeroing",
            return_levels=[UnitLevel.CITY.value])
        # Deployed nine weeks ago (no operation sends in the past).
        campaign.sent_on = campaign.return_starts_on = start
        db.session.flush()

    cases = 0
    for county_code in COUNTIES:
        county = _unit(county_code)
        for town in db.session.scalars(select(Unit).where(Unit.parent_id == county.id).order_by(Unit.code)):
            with _as(town, "town-officer" if town.code == "990121001" else None):
                ops.propose_for_unit(campaign, town)
                for case in db.session.scalars(select(BacklogCase).where(BacklogCase.unit_id == town.id,
                                                                         BacklogCase.directive_id == campaign.id)):
                    _work(case, rng, start, today)
                    cases += 1

    # A few cases past their target: the plans promised too much.
    open_cases = db.session.scalars(select(BacklogCase).where(BacklogCase.state == "open")).all()
    for case in rng.sample(open_cases, min(12, len(open_cases))):
        case.target_on = today - timedelta(days=rng.randint(1, 20))
    db.session.flush()
    with context.acting(context.maintenance_context(), db.session):
        ops.scan_overdue(today)

    # Each city's weekly returns for the past weeks, filed on their Mondays; last month's bulletins.
    returns = 0
    for city in db.session.scalars(select(Unit).where(Unit.level == UnitLevel.CITY).order_by(Unit.code)):
        with _as(city, "city-leader" if city.code == "990100" else None):
            for period in directive_ops.return_periods(campaign, today):
                if period.due_on < today:
                    filed = ops.submit_weekly_return(campaign, city, period.key, "各县区专班每周调度，包案领导带件下访。")
                    filed.submitted_at = filed.submitted_at.replace(
                        year=period.due_on.year, month=period.due_on.month, day=period.due_on.day, hour=1)
                    db.session.flush()  # as the city: under RLS no other unit may write its return
                    returns += 1
    month_end = today.replace(day=1) - timedelta(days=1)
    bulletins = 0
    if month_end >= start:
        for unit in [province, *db.session.scalars(select(Unit).where(Unit.level.in_(("city", "county"))))]:
            with _as(unit):
                ops.build_bulletin(campaign, unit, month_end.strftime("%Y-%m"))
                bulletins += 1
    db.session.flush()
    # 承办人: 城关镇's leader gives its backlog cases still to resolve to its officer, with a reason.
    town = _unit("990121001")
    with _as(town, "town-leader"):
        handled = handler_ops.bulk_assign(
            {c.id: c for c in db.session.scalars(select(BacklogCase).where(
                BacklogCase.unit_id == town.id, BacklogCase.state.in_(("proposed", "open"))))},
            db.session.scalar(select(Account).where(Account.username == "town-officer")), "积案由承办人统一跟进",
            unit=town)
    return {"zeroing_petitions": petitions, "backlog_cases": cases, "weekly_returns": returns,
            "bulletins": bulletins, "handled_backlog_cases": sum(r.ok for r in handled)}


def _work(case: BacklogCase, rng: random.Random, start: date, today: date) -> None:
    """Adopt in the first phase, a leader's visit in the second, and (for most) a close-out since."""
    owner, position = rng.choice(LEADERS)
    adopted_on = start + timedelta(days=rng.randint(0, 18))
    ops.adopt(case, {"owner_name": owner, "owner_position": position, "adopted_on": adopted_on.isoformat(),
                     "task_force": "镇纪委、信访办、农经站、司法所、村两委",
                     "plan": "逐笔核对补偿款和村集体账目，公开结果；包案领导带件下访当面答复；依法依规处理相关人员。",
                     "target_on": (today + timedelta(days=rng.randint(5, 60))).isoformat()})
    visited_on = min(start + timedelta(days=rng.randint(21, 41)), today)
    ops.record_visit(case, {"kind": rng.choice(["down_visit", "reception"]), "visited_on": visited_on.isoformat(),
                            "leader": owner, "place": case.petition.accused_work_unit, "met": "信访人及村民代表",
                            "outcome": "听取诉求，现场交办核查事项，约定答复时限"})
    if rng.random() < 0.55:
        closed_on = min(visited_on + timedelta(days=rng.randint(3, 35)), today)
        petition = case.petition
        petition_ops.take_step(petition, "start", {})
        petition_ops.take_step(petition, "conclude", {"outcome": rng.choice(["founded", "partly", "unverifiable"]),
                                                      "findings": "经核查，已责令退还并予以处理。",
                                                      "concluded_on": closed_on.isoformat()})
        petition_ops.take_step(petition, "feedback", {"given_on": closed_on.isoformat(), "way": "in_person",
                                                      "content": "当面反馈核查处理结果", "satisfied": "yes"})
        ops.close_out(case, {"basis": "resolved", "closed_out_on": closed_on.isoformat()})
