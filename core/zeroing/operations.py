"""Every write of the zeroing campaign: start it, propose and adopt backlog cases, leaders' visits,
weekly close-out, re-checks (回头看), the generated weekly return and the frozen monthly bulletin.

Figures are the unit's stats rows (tenants.stats), moved in the same transaction as the ledger:
``zeroing.<campaign>.stock`` (open now), ``.overdue`` (set by the scan), and dated increments
``.added``, ``.closed_out``, ``.reopened`` (period = ISO day), so any week or month sums exactly.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar, context, jobs
from core.audit.operations import record
from core.clock import utcnow
from core.directives import operations as directive_ops
from core.directives.models import CampaignEnrolment, Directive, DirectiveKind, DirectiveReceipt, DirectiveReturn
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.handlers.operations import RowResult
from core.models import check_version
from core.petitions.models import SANDUO, Petition
from core.workflow import TransitionRecord
from core.zeroing.models import (CLOSEOUT_BASES, PHASES, PURPOSE, RECHECK_RESULTS, VISIT_KINDS, BacklogCase,
                                 BacklogVisit, CampaignBulletin)
from core.zeroing.workflow import BACKLOG_FLOW
from tenants import operations as tenancy_ops
from tenants.models import Unit, UnitLevel, UnitStat, descendants_query
from tenants.stats import subtree_sum, with_coarser_keys

# Petitions still to be resolved: not closed, not settled, not handed down (the copy below is the case).
UNRESOLVED = ("registered", "handling", "concluded")
RETURN_FIELDS = [
    {"key": "stock", "label": "积案存量", "type": "number", "required": True},
    {"key": "added", "label": "本周新增", "type": "number", "required": True},
    {"key": "closed_out", "label": "本周销号", "type": "number", "required": True},
    {"key": "reopened", "label": "本周回头看重新化解", "type": "number", "required": True},
    {"key": "overdue", "label": "逾期未化解", "type": "number", "required": True},
    {"key": "by_child", "label": "分县（市、区）情况", "type": "text", "required": False},
    {"key": "narrative", "label": "工作情况说明", "type": "text", "required": False},
]
# The proposals across the tree, queued by name when a campaign starts: core.zeroing.jobs declares the job and
# imports this module, never the reverse.
PROPOSE_JOB = "core.zeroing.jobs.propose_backlog"
FIGURES = ("stock", "added", "closed_out", "reopened", "overdue")


def metric(campaign_id: int, name: str) -> str:
    return f"zeroing.{campaign_id}.{name}"


def _text(data: dict, key: str, limit: int, label: str, errors: dict, *, required: bool = True) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        add_error(errors, key, _("请填写%(label)s", label=label))
    elif len(value) > limit:
        add_error(errors, key, _("%(label)s不能超过 %(n)s 个字", label=label, n=limit))
    return value


def _date(data: dict, key: str, label: str, errors: dict, *, default: date | None = None) -> date | None:
    raw = data.get(key) or default
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except (TypeError, ValueError):
        add_error(errors, key, _("%(label)s不是有效日期（如 2026-11-23）", label=label))
        return None


# ---------------------------------------------------------------- the campaign


def start_campaign(province: Unit, *, title: str, body: str = "", phases: list[dict],
                   account_id: int | None = None) -> Directive:
    """The province starts 信访积案动态清零: a campaign to every unit below, four phases, a weekly
    return from each city generated from the live ledger; flagged petitions are proposed at once."""
    if province.parent_id is not None:
        raise InvalidInput({"_schema": [_("动态清零专项活动由省纪委监委部署")]})
    if len([p for p in phases if (p.get("name") or "").strip()]) != len(PHASES):
        raise InvalidInput({"phases": [_("请为四个阶段（集中排查、带件下访/下沉接访、动态清零、回头看）填写起止日期")]})
    campaign = directive_ops.send_directive(
        province, title=title, body=body, kind=DirectiveKind.CAMPAIGN, audience={"mode": "all"},
        return_fields=RETURN_FIELDS, return_cadence="weekly:1", phases=phases, account_id=account_id,
        purpose=PURPOSE, return_levels=[UnitLevel.CITY.value])
    jobs.enqueue_after_commit(PROPOSE_JOB, campaign.id)
    return campaign


def zeroing_campaigns(unit: Unit, *, active_only: bool = False) -> list[Directive]:
    """The zeroing campaigns the unit sent or received (newest first)."""
    received = select(DirectiveReceipt.directive_id).where(DirectiveReceipt.unit_id == unit.id)
    stmt = select(Directive).where(Directive.purpose == PURPOSE, Directive.kind == DirectiveKind.CAMPAIGN,
                                   (Directive.unit_id == unit.id) | Directive.id.in_(received))
    if active_only:
        stmt = stmt.where(Directive.state == "sent")
    return list(db.session.scalars(stmt.order_by(Directive.id.desc())))


def propose_for_unit(campaign: Directive, unit: Unit) -> int:
    """Put the unit's unresolved petitions with a 三多 flag on its ledger as proposals (idempotent)."""
    taken = select(BacklogCase.petition_id).where(BacklogCase.directive_id == campaign.id)
    petitions = db.session.scalars(select(Petition).where(
        Petition.unit_id == unit.id, Petition.state.in_(UNRESOLVED), Petition.id.not_in(taken))).all()
    proposed = 0
    for petition in petitions:
        if set(petition.flags or []) & set(SANDUO):
            _new_case(campaign, unit, petition, source="flagged")
            proposed += 1
    return proposed


def _new_case(campaign: Directive, unit: Unit, petition: Petition, *, source: str) -> BacklogCase:
    case = BacklogCase(unit_id=unit.id, unit_path=unit.path, directive_id=campaign.id, petition_id=petition.id,
                       source=source, state="proposed", rechecks=[])
    db.session.add(case)
    db.session.flush()
    BACKLOG_FLOW.begin(case, detail={"petition": petition.number, "source": source})
    handler_ops.assign_at_registration(case, unit)  # 承办人: whoever puts it on the ledger, when they handle
    return case


def add_case(campaign: Directive, unit: Unit, petition_number: str) -> BacklogCase:
    """A unit puts one of its own unresolved petitions on the ledger (beyond the flagged ones)."""
    number = (petition_number or "").strip()
    petition = db.session.scalar(select(Petition).where(Petition.unit_id == unit.id, Petition.number == number))
    if petition is None:
        raise InvalidInput({"petition_number": [_("本单位没有编号为 %(n)s 的信访件", n=number or "—")]})
    if petition.state not in UNRESOLVED:
        raise InvalidInput({"petition_number": [_("该件已办结或已转交下级，不列入积案台账")]})
    if db.session.scalar(select(BacklogCase.id).where(BacklogCase.directive_id == campaign.id,
                                                      BacklogCase.petition_id == petition.id)):
        raise InvalidInput({"petition_number": [_("该件已在本次活动的台账中")]})
    case = _new_case(campaign, unit, petition, source="added")
    record("zeroing.add", unit_id=unit.id, object_type="backlog_cases", object_id=case.id,
           detail={"campaign": campaign.id, "petition": petition.number})
    return case


def _past_date(data: dict, key: str, label: str, errors: dict, *, not_before: date | None) -> date | None:
    """A date the ledger records late (the close-out happened on Friday, entered on Monday): today by
    default, never in the future, never before the event it follows."""
    value = _date(data, key, label, errors, default=calendar.today())
    if value and value > calendar.today():
        add_error(errors, key, _("%(label)s不能晚于今天", label=label))
    elif value and not_before and value < not_before:
        add_error(errors, key, _("%(label)s不能早于 %(d)s", label=label, d=not_before.isoformat()))
    return value


def _clean_plan(data: dict, *, today: date, errors: dict | None = None) -> dict:
    errors = {} if errors is None else errors
    plan = {
        "owner_name": _text(data, "owner_name", 50, _("包案领导"), errors),
        "owner_position": _text(data, "owner_position", 100, _("包案领导职务"), errors),
        "task_force": _text(data, "task_force", 1000, _("工作专班"), errors),
        "plan": _text(data, "plan", 5000, _("化解方案"), errors),
        "target_on": _date(data, "target_on", _("化解时限"), errors),
    }
    if plan["target_on"] and plan["target_on"] < today:
        add_error(errors, "target_on", _("化解时限不能早于今天"))
    if errors:
        raise InvalidInput(errors)
    return plan


def adopt(case: BacklogCase, data: dict, *, expected_version: int | None = None) -> None:
    """一件积案、一名领导包案、一个工作专班、一套化解方案: all four are required to adopt."""
    check_version(case, expected_version)
    if case.state != "proposed":
        raise BACKLOG_FLOW.not_now(case, "adopt")
    today = calendar.today()
    errors: dict[str, list[str]] = {}
    adopted_on = _past_date(data, "adopted_on", _("纳入日期"), errors, not_before=case.petition.received_on)
    plan = _clean_plan(data, today=today, errors=errors)
    for key, value in plan.items():
        setattr(case, key, value)
    case.adopted_on = adopted_on
    campaign = db.session.get(Directive, case.directive_id)
    unit = db.session.get(Unit, case.unit_id)
    entry = directive_ops.enrol(campaign, unit, "petitions", case.petition_id, case.petition.label)
    case.enrolment_id = entry.id
    BACKLOG_FLOW.apply(case, "adopt", detail={"owner": case.owner_name, "target_on": case.target_on.isoformat()})
    tenancy_ops.bump_stat(unit, metric(campaign.id, "stock"), 1)
    tenancy_ops.bump_stat(unit, metric(campaign.id, "added"), 1, adopted_on.isoformat())


def decline(case: BacklogCase, reason: str, *, expected_version: int | None = None) -> None:
    check_version(case, expected_version)
    if case.state != "proposed":
        raise BACKLOG_FLOW.not_now(case, "decline")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("不纳入台账须说明理由")]})
    case.decline_reason = reason[:2000]
    BACKLOG_FLOW.apply(case, "decline", reason=case.decline_reason)


def update_plan(case: BacklogCase, data: dict, *, expected_version: int | None = None) -> None:
    """Change the owner, task force, plan or target of an open case; the change is in its history."""
    check_version(case, expected_version)
    if case.state != "open":
        raise InvalidInput({"_schema": [_("只有化解中的积案可以调整包案安排")]})
    plan = _clean_plan(data, today=calendar.today())
    changed = {k: (str(getattr(case, k)), str(v)) for k, v in plan.items() if getattr(case, k) != v}
    for key, value in plan.items():
        setattr(case, key, value)
    record("zeroing.plan_update", unit_id=case.unit_id, object_type="backlog_cases", object_id=case.id,
           detail={"changed": sorted(changed)})


def record_visit(case: BacklogCase, data: dict) -> BacklogVisit:
    """带件下访 or 下沉接访 by a leader: who, where, whom they met, the outcome."""
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "")
    if kind not in VISIT_KINDS:
        add_error(errors, "kind", _("请选择带件下访或下沉接访"))
    visited_on = _date(data, "visited_on", _("日期"), errors)
    if visited_on and visited_on > calendar.today():
        add_error(errors, "visited_on", _("日期不能晚于今天"))
    fields = {"leader": _text(data, "leader", 100, _("领导"), errors),
              "place": _text(data, "place", 200, _("地点"), errors),
              "met": _text(data, "met", 200, _("接谈对象"), errors),
              "outcome": _text(data, "outcome", 5000, _("结果"), errors)}
    if case.state == "declined":
        add_error(errors, "_schema", _("该件未纳入台账"))
    if errors:
        raise InvalidInput(errors)
    visit = BacklogVisit(unit_id=case.unit_id, unit_path=case.unit_path, backlog_case_id=case.id, kind=kind,
                         visited_on=visited_on, recorded_by_id=context.current().account_id, **fields)
    db.session.add(visit)
    db.session.flush()
    record("zeroing.visit", unit_id=case.unit_id, object_type="backlog_cases", object_id=case.id,
           detail={"kind": kind, "visited_on": visited_on.isoformat()})
    return visit


def close_out(case: BacklogCase, data: dict, *, expected_version: int | None = None) -> None:
    """一周一销号: resolved (outcome known, feedback given, the petitioner satisfied) or formally
    concluded (the petition handled to its end, with the basis stated)."""
    check_version(case, expected_version)
    if case.state != "open":
        raise BACKLOG_FLOW.not_now(case, "close_out")
    petition = case.petition
    errors: dict[str, list[str]] = {}
    basis = str(data.get("basis") or "")
    note = str(data.get("note") or "").strip()
    if basis not in CLOSEOUT_BASES:
        add_error(errors, "basis", _("请选择销号依据"))
    elif basis == "resolved":
        if not petition.feedback:
            add_error(errors, "basis", _("信访件尚未办结并向举报人反馈，不能以“已化解”销号"))
        elif petition.feedback.get("satisfied") != "yes":
            add_error(errors, "basis", _("举报人未表示满意；如已依法办结，请选择“依法终结”并说明"))
    elif basis == "concluded":
        if not petition.outcome:
            add_error(errors, "basis", _("信访件尚未办结，不能销号"))
        if not note:
            add_error(errors, "note", _("依法终结须说明依据"))
    if len(note) > 2000:
        add_error(errors, "note", _("说明不能超过 2000 个字"))
    closed_on = _past_date(data, "closed_out_on", _("销号日期"), errors, not_before=case.adopted_on)
    if errors:
        raise InvalidInput(errors)
    case.closed_out_on, case.closeout = closed_on, {"basis": basis, "note": note, "outcome": petition.outcome}
    _set_enrolment(case, "closed", closed_on)
    BACKLOG_FLOW.apply(case, "close_out", detail={"basis": basis, "closed_out_on": closed_on.isoformat()})
    unit = db.session.get(Unit, case.unit_id)
    tenancy_ops.bump_stat(unit, metric(case.directive_id, "stock"), -1)
    tenancy_ops.bump_stat(unit, metric(case.directive_id, "closed_out"), 1, closed_on.isoformat())


def bulk_close_out(cases: dict[int, BacklogCase | None], data: dict) -> list[RowResult]:
    """一周一销号 of the cases selected on the ledger, with one basis, date and note: each is checked by
    ``close_out``'s own rules (which write nothing before every check passed); a failing row says why and the
    rest go through."""
    results = []
    for case_id, case in cases.items():
        if case is None:
            results.append(RowResult(case_id, str(case_id), _("本单位本次活动的台账中没有这件积案")))
            continue
        try:
            close_out(case, data)
        except (InvalidInput, Conflict) as exc:
            message = "；".join(exc.messages) if isinstance(exc, InvalidInput) else str(exc.message or "")
            results.append(RowResult(case_id, case.petition.number, message))
        else:
            results.append(RowResult(case_id, case.petition.number))
    done = [r.object_id for r in results if r.ok]
    if done:
        case = next(c for c in cases.values() if c is not None and c.id == done[0])
        record("zeroing.bulk_close_out", unit_id=case.unit_id, object_type="directives", object_id=case.directive_id,
               detail={"items": len(done), "total": len(results)})
    return results


def _set_enrolment(case: BacklogCase, state: str, closed_on: date | None) -> None:
    entry = db.session.get(CampaignEnrolment, case.enrolment_id) if case.enrolment_id else None
    if entry is not None:
        entry.state, entry.closed_on = state, closed_on


def sample_rechecks(campaign: Directive, unit: Unit, percent: int) -> int:
    """Draw closed-out cases for 回头看 (a share of those not drawn yet, at least one)."""
    if not 1 <= int(percent or 0) <= 100:
        raise InvalidInput({"percent": [_("抽查比例应在 1–100 之间")]})
    pool = db.session.scalars(select(BacklogCase).where(
        BacklogCase.directive_id == campaign.id, BacklogCase.unit_id == unit.id,
        BacklogCase.state == "closed_out", BacklogCase.sampled.is_(False))).all()
    if not pool:
        return 0
    drawn = random.Random(f"{campaign.id}:{unit.id}:{calendar.today()}").sample(
        pool, max(1, round(len(pool) * int(percent) / 100)))
    for case in drawn:
        case.sampled = True
    record("zeroing.sample", unit_id=unit.id, object_type="directives", object_id=campaign.id,
           detail={"drawn": len(drawn), "of": len(pool), "percent": int(percent)})
    return len(drawn)


def record_recheck(case: BacklogCase, data: dict, *, expected_version: int | None = None) -> None:
    """回头看: a failed re-check re-opens the case (counted as re-opened; the stock rises again)."""
    check_version(case, expected_version)
    if case.state != "closed_out":
        raise InvalidInput({"_schema": [_("只有已销号的积案可以回头看")]})
    errors: dict[str, list[str]] = {}
    result = str(data.get("result") or "")
    if result not in RECHECK_RESULTS:
        add_error(errors, "result", _("请选择回头看结果"))
    checked_on = _date(data, "checked_on", _("回头看日期"), errors, default=calendar.today())
    checked_by = _text(data, "checked_by", 100, _("检查人"), errors)
    note = _text(data, "note", 2000, _("检查情况"), errors)
    if errors:
        raise InvalidInput(errors)
    case.rechecks = [*case.rechecks, {"checked_on": checked_on.isoformat(), "checked_by": checked_by,
                                      "result": result, "note": note}]
    record("zeroing.recheck", unit_id=case.unit_id, object_type="backlog_cases", object_id=case.id,
           detail={"result": result})
    if result == "fail":
        today = calendar.today()
        case.reopened_count += 1
        case.closed_out_on = None
        _set_enrolment(case, "reopened", None)
        BACKLOG_FLOW.apply(case, "reopen", reason=note, detail={"on": today.isoformat()})
        unit = db.session.get(Unit, case.unit_id)
        tenancy_ops.bump_stat(unit, metric(case.directive_id, "stock"), 1)
        tenancy_ops.bump_stat(unit, metric(case.directive_id, "reopened"), 1, today.isoformat())


def take_step(case: BacklogCase, step: str, data: dict, *, expected_version: int | None = None) -> None:
    """One step on a backlog case, as the case page and the API name them."""
    match step:
        case "adopt":
            adopt(case, data, expected_version=expected_version)
        case "decline":
            decline(case, data.get("reason", ""), expected_version=expected_version)
        case "plan":
            update_plan(case, data, expected_version=expected_version)
        case "visit":
            record_visit(case, data)
        case "close_out":
            close_out(case, data, expected_version=expected_version)
        case "recheck":
            record_recheck(case, data, expected_version=expected_version)
        case _:
            raise InvalidInput({"step": [_("没有这个办理环节")]})


# ---------------------------------------------------------------- figures, returns, bulletins


def week_of(period: directive_ops.Period) -> tuple[date, date]:
    """A weekly return due on D reports the seven days before it."""
    return period.due_on - timedelta(days=7), period.due_on - timedelta(days=1)


def figures(campaign_id: int, unit: Unit, since: date, until: date) -> dict[str, int]:
    """The subtree's ledger figures: stock and overdue now, the dated ones within [since, until]."""
    moves = [metric(campaign_id, n) for n in ("added", "closed_out", "reopened")]
    now = subtree_sum(unit, [metric(campaign_id, "stock"), metric(campaign_id, "overdue")])
    dated = subtree_sum(unit, moves, since=since, until=until)
    out = {name: now.get(metric(campaign_id, name), 0) + dated.get(metric(campaign_id, name), 0) for name in FIGURES}
    # The stock at the end of a past period: today's, less what moved it since (so a late return or a
    # bulletin built after the cut-off states the stock as it stood then, not as it stands now).
    later = subtree_sum(unit, moves, since=until + timedelta(days=1))
    out["stock"] -= (later[metric(campaign_id, "added")] - later[metric(campaign_id, "closed_out")]
                     + later[metric(campaign_id, "reopened")])
    return out


def child_figures(campaign_id: int, unit: Unit, since: date, until: date) -> list[tuple[Unit, dict[str, int]]]:
    children = db.session.scalars(descendants_query(unit).where(Unit.parent_id == unit.id)).all()
    return [(child, figures(campaign_id, child, since, until)) for child in children]


def weekly_draft(campaign: Directive, unit: Unit, period: directive_ops.Period) -> dict:
    """The return as the live ledger has it now: the figures, and one line per child unit."""
    since, until = week_of(period)
    values = figures(campaign.id, unit, since, until)
    values["by_child"] = "；".join(
        _("%(name)s：存量 %(stock)s，新增 %(added)s，销号 %(closed_out)s，逾期 %(overdue)s",
          name=child.name, **numbers) for child, numbers in child_figures(campaign.id, unit, since, until))
    return values


def submit_weekly_return(campaign: Directive, unit: Unit, period_key: str, narrative: str = ""):
    """Generate the unit's weekly return from the ledger (never typed) and file it upward."""
    receipt = db.session.scalar(select(DirectiveReceipt).where(DirectiveReceipt.directive_id == campaign.id,
                                                               DirectiveReceipt.unit_id == unit.id))
    period = directive_ops.find_period(campaign, period_key, calendar.today())
    if receipt is None or period is None:
        raise InvalidInput({"period": [_("该期不在报送时间内")]})
    narrative = (narrative or "").strip()
    filed = db.session.scalar(select(DirectiveReturn.id).where(
        DirectiveReturn.directive_id == campaign.id, DirectiveReturn.unit_id == unit.id,
        DirectiveReturn.period == period.key))
    if filed is not None and not narrative:
        raise InvalidInput({"narrative": [_("本期报表已报送；重新生成须在“工作情况说明”中写明原因")]})
    values = weekly_draft(campaign, unit, period)
    values["narrative"] = narrative
    return directive_ops.submit_return(receipt, period.key, values, generated=True)


directive_ops.register_return_generator(
    PURPOSE, lambda receipt, period_key, note: submit_weekly_return(receipt.directive, receipt.unit, period_key, note))


def build_bulletin(campaign: Directive, unit: Unit, month: str) -> CampaignBulletin:
    """一月一通报: the month's figures of the unit's subtree and each child, frozen when first built."""
    existing = db.session.scalar(select(CampaignBulletin).where(
        CampaignBulletin.directive_id == campaign.id, CampaignBulletin.unit_id == unit.id,
        CampaignBulletin.period == month))
    if existing is not None:
        return existing  # frozen: later transitions never change a published bulletin
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput({"month": [_("月份格式应为 2026-11")]}) from None
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if last >= calendar.today():
        raise InvalidInput({"month": [_("只能通报已结束的月份")]})

    def row(numbers: dict[str, int]) -> dict:
        handled = numbers["stock"] + numbers["closed_out"]
        return {**numbers, "rate": round(100 * numbers["closed_out"] / handled, 1) if handled else None}

    children = [{"unit_id": child.id, "name": child.name, **row(numbers)}
                for child, numbers in child_figures(campaign.id, unit, first, last)]
    children.sort(key=lambda c: (-(c["rate"] or 0), c["overdue"], c["name"]))
    for rank, child in enumerate(children, start=1):
        child["rank"] = rank
    bulletin = CampaignBulletin(unit_id=unit.id, unit_path=unit.path, directive_id=campaign.id, period=month,
                                cutoff_on=last, generated_at=utcnow(),
                                figures={"totals": row(figures(campaign.id, unit, first, last)),
                                         "children": children})
    db.session.add(bulletin)
    db.session.flush()
    record("zeroing.bulletin", unit_id=unit.id, object_type="campaign_bulletins", object_id=bulletin.id,
           detail={"campaign": campaign.id, "month": month})
    return bulletin


def refresh_overdue(unit: Unit, today: date) -> None:
    """One unit's overdue backlog cases in each active campaign (the reporting refresh of units that moved)."""
    counts = dict(db.session.execute(
        select(BacklogCase.directive_id, func.count(BacklogCase.id))
        .join(Directive, Directive.id == BacklogCase.directive_id)
        .where(Directive.state == "sent", BacklogCase.unit_id == unit.id, BacklogCase.state == "open",
               BacklogCase.target_on < today)
        .group_by(BacklogCase.directive_id)).all())
    for name in db.session.scalars(select(UnitStat.metric).where(
            UnitStat.unit_id == unit.id, UnitStat.metric.like("zeroing.%.overdue"), UnitStat.period == "",
            UnitStat.value != 0)):
        counts.setdefault(int(name.split(".")[1]), 0)
    for campaign_id, n in counts.items():
        tenancy_ops.set_stat(unit, metric(campaign_id, "overdue"), n)


def scan_overdue(today: date) -> dict[str, int]:
    """Recount each unit's overdue backlog cases (target date passed, not closed out) in every
    active zeroing campaign; runs across units in the maintenance context."""
    counts = dict(((d, u), n) for d, u, n in db.session.execute(
        select(BacklogCase.directive_id, BacklogCase.unit_id, func.count(BacklogCase.id))
        .join(Directive, Directive.id == BacklogCase.directive_id)
        .where(Directive.state == "sent", BacklogCase.state == "open", BacklogCase.target_on < today)
        .group_by(BacklogCase.directive_id, BacklogCase.unit_id)))
    stale = db.session.execute(select(UnitStat.metric, UnitStat.unit_id).where(
        UnitStat.metric.like("zeroing.%.overdue"), UnitStat.period == "", UnitStat.value != 0)).all()
    for name, unit_id in stale:
        counts.setdefault((int(name.split(".")[1]), unit_id), 0)
    for (campaign_id, unit_id), n in counts.items():
        tenancy_ops.set_stat(db.session.get(Unit, unit_id), metric(campaign_id, "overdue"), n)
    return {"units": len(counts), "overdue": sum(counts.values())}


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's zeroing figures, every campaign, counted from its backlog cases and their histories: what the
    stats rows must hold (the nightly reconcile)."""
    figures: Counter = Counter()
    cases = db.session.execute(select(BacklogCase.id, BacklogCase.directive_id, BacklogCase.state,
                                      BacklogCase.adopted_on, BacklogCase.target_on)
                               .where(BacklogCase.unit_id == unit.id)).all()
    campaign_of = {case_id: campaign_id for case_id, campaign_id, *_rest in cases}
    for _id, campaign_id, state, adopted_on, target_on in cases:
        if adopted_on is not None:
            figures[(metric(campaign_id, "added"), adopted_on.isoformat())] += 1
        if state == "open":
            figures[(metric(campaign_id, "stock"), "")] += 1
            if target_on is not None and target_on < today:
                figures[(metric(campaign_id, "overdue"), "")] += 1
    # Close-outs and re-openings happen more than once per case: counted from the case histories.
    history = db.session.execute(select(TransitionRecord.object_id, TransitionRecord.transition,
                                        TransitionRecord.detail, TransitionRecord.occurred_at)
                                 .where(TransitionRecord.unit_id == unit.id,
                                        TransitionRecord.object_type == BacklogCase.__tablename__,
                                        TransitionRecord.transition.in_(("close_out", "reopen"))))
    for case_id, transition, detail, occurred_at in history:
        detail = detail or {}
        day = detail.get("closed_out_on") or detail.get("on") or occurred_at.date().isoformat()
        name = "closed_out" if transition == "close_out" else "reopened"
        figures[(metric(campaign_of[case_id], name), day)] += 1
    return with_coarser_keys(figures)
