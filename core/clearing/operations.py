"""Every write of clearing names: the conditions list, the pool and its screening, green-channel
applications, quarterly batches, each step of the chain, the follow-up visits, the deadline scan.

Each write moves the owning unit's stats rows in the same transaction (``_count``); ``recount``
rebuilds them from the records and ``reconcile`` reports (and mends) any drift.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import calendar, context, dictionaries
from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.models import check_version
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.numbering import next_number
from core.petitions.models import Petition
from core.clearing.models import (CHECKLIST, METHOD_LABELS, ClearingBatch, ClearingCandidate, ClearingCase,
                                  ClearingCondition, ClearingVisit, Method, Priority, SubjectKind, VisitKind, name_key,
                                  person_key, priority_rank)
from core.clearing.workflow import CASE_FLOW, HIGHER_REVIEW_STEPS, OPEN, STEP_WORKDAYS
from core import parameters
from tenants import operations as tenancy_ops
from tenants import stats as tenancy_stats
from tenants.models import Role, Share, Unit, UnitStat

HANDLERS = (Role.LEADER.value, Role.OFFICER.value)
LEADERS = (Role.LEADER.value,)
HIGHER_REVIEWERS = (Role.LEADER.value, Role.REVIEWER.value)
POOL_YEARS = 3  # unfounded accusations concluded in the last three years enter the pool
VISIT_ORDER = (VisitKind.PERSON, VisitKind.ORG_HEAD, VisitKind.COLLEAGUES, VisitKind.FAMILY)


# ---------------------------------------------------------------- validation helpers


def _text(errors, data: dict, field: str, label: str, *, required: bool = True, limit: int = 2000) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        add_error(errors, field, _("请填写%(label)s", label=label))
    elif len(value) > limit:
        add_error(errors, field, _("%(label)s最长 %(n)s 个字", label=label, n=limit))
    return value


def _day(errors, data: dict, field: str, label: str, *, required: bool = True, not_after: date | None = None):
    raw = data.get(field)
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            add_error(errors, field, _("%(label)s不是有效日期", label=label))
            return None
    if value is None and required:
        add_error(errors, field, _("请填写%(label)s", label=label))
    elif value is not None and not_after is not None and value > not_after:
        add_error(errors, field, _("%(label)s不能晚于今天", label=label))
    return value


def _flags(errors, raw) -> list[str]:
    flags = [str(f) for f in (raw or []) if str(f)]
    if set(flags) - set(Priority.__members__.values()):
        add_error(errors, "priority_flags", _("优先情形无效"))
    return sorted(set(flags))


def _subject(errors, data: dict) -> dict:
    kind = str(data.get("subject_kind") or SubjectKind.PERSON)
    if kind not in SubjectKind.__members__.values():
        add_error(errors, "subject_kind", _("澄清对象类型无效"))
    name_label = _("单位名称") if kind == SubjectKind.UNIT else _("被反映人姓名")
    return {
        "subject_kind": kind,
        "person_name": _text(errors, data, "person_name", name_label, limit=100),
        "person_position": _text(errors, data, "person_position", _("职务"), required=False, limit=100),
        "person_work_unit": _text(errors, data, "person_work_unit", _("工作单位"),
                                  required=kind == SubjectKind.PERSON, limit=100),
    }


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)



# ---------------------------------------------------------------- stats rows


def _count(unit_or_id, metric: str, delta: int, period: str = "") -> None:
    unit = unit_or_id if isinstance(unit_or_id, Unit) else db.session.get(Unit, unit_or_id)
    tenancy_ops.bump_stat(unit, f"clearing.{metric}", delta, period)


def refresh_overdue(unit: Unit, today: date | None = None) -> None:
    """Overdue cases and visits are time-based: recounted for the unit (indexed), never moved by hand."""
    today = today or calendar.today()
    with context.writing_as(unit.id, unit.path):
        cases = db.session.scalar(select(func.count(ClearingCase.id)).where(
            ClearingCase.unit_id == unit.id, ClearingCase.state.in_(OPEN), ClearingCase.due_on < today))
        visits = db.session.scalar(select(func.count(ClearingVisit.id)).where(
            ClearingVisit.unit_id == unit.id, ClearingVisit.visited_on.is_(None), ClearingVisit.due_on < today))
    tenancy_ops.set_stat(unit, "clearing.overdue", cases)
    tenancy_ops.set_stat(unit, "clearing.visits_overdue", visits)


def recount(unit: Unit, today: date | None = None) -> dict[tuple[str, str], int]:
    """The unit's clearing figures counted from its records: what the stats rows must hold."""
    today = today or calendar.today()
    figures: Counter = Counter()
    with context.writing_as(unit.id, unit.path):
        figures[("clearing.candidates", "")] = db.session.scalar(select(func.count(ClearingCandidate.id)).where(
            ClearingCandidate.unit_id == unit.id, ClearingCandidate.state == "pool"))
        for state, n in db.session.execute(select(ClearingCase.state, func.count(ClearingCase.id))
                                           .where(ClearingCase.unit_id == unit.id).group_by(ClearingCase.state)):
            figures[(f"clearing.state.{state}", "")] = n
        for kind, day, n in db.session.execute(
                select(ClearingCase.subject_kind, ClearingCase.cleared_on, func.count(ClearingCase.id))
                .where(ClearingCase.unit_id == unit.id, ClearingCase.cleared_on.is_not(None))
                .group_by(ClearingCase.subject_kind, ClearingCase.cleared_on)):
            metric = "clearing.cleared_units" if kind == SubjectKind.UNIT else "clearing.cleared_persons"
            figures[(metric, "")] += n
            figures[(metric, day.isoformat())] += n
        for day, n in db.session.execute(
                select(ClearingCase.cleared_on, func.count(ClearingCase.id))
                .where(ClearingCase.unit_id == unit.id, ClearingCase.cleared_on.is_not(None),
                       ClearingCase.cleared_on_time.is_(True))
                .group_by(ClearingCase.cleared_on)):
            figures[("clearing.cleared_on_time", "")] += n
            figures[("clearing.cleared_on_time", day.isoformat())] += n
        for day, n in db.session.execute(select(ClearingVisit.visited_on, func.count(ClearingVisit.id))
                                         .where(ClearingVisit.unit_id == unit.id)
                                         .group_by(ClearingVisit.visited_on)):
            if day is None:
                figures[("clearing.visits_due", "")] += n
            else:
                figures[("clearing.visits_done", "")] += n
                figures[("clearing.visits_done", day.isoformat())] += n
        figures[("clearing.overdue", "")] = db.session.scalar(select(func.count(ClearingCase.id)).where(
            ClearingCase.unit_id == unit.id, ClearingCase.state.in_(OPEN), ClearingCase.due_on < today))
        figures[("clearing.visits_overdue", "")] = db.session.scalar(select(func.count(ClearingVisit.id)).where(
            ClearingVisit.unit_id == unit.id, ClearingVisit.visited_on.is_(None), ClearingVisit.due_on < today))
    return tenancy_stats.with_coarser_keys(figures)


def stored_figures(unit: Unit) -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(UnitStat.metric, UnitStat.period, UnitStat.value).where(
        UnitStat.unit_id == unit.id, UnitStat.metric.startswith("clearing.")))
    return {(metric, period): value for metric, period, value in rows if value}


def reconcile(unit: Unit, *, mend: bool = False) -> dict[tuple[str, str], tuple[int, int]]:
    """Drift between the stats rows and the records: {(metric, period): (stored, counted)}; mended if asked."""
    stored, counted = stored_figures(unit), recount(unit)
    drift = {key: (stored.get(key, 0), counted.get(key, 0)) for key in stored.keys() | counted.keys()
             if stored.get(key, 0) != counted.get(key, 0)}
    if mend:
        for (metric, period), (_stored, value) in drift.items():
            tenancy_ops.set_stat(unit, metric, value, period)
    return drift


# ---------------------------------------------------------------- the conditions list (正反清单)


def add_condition(unit: Unit, *, negative: bool, text: str) -> ClearingCondition:
    text = (text or "").strip()
    if not text or len(text) > 300:
        raise InvalidInput({"text": [_("条件内容不能为空，最长 300 个字")]})
    condition = ClearingCondition(unit_id=unit.id, unit_path=unit.path, negative=bool(negative), text=text)
    db.session.add(condition)
    db.session.flush()
    audit("clearing.condition_add", unit_id=unit.id, object_type="clearing_conditions", object_id=condition.id,
          detail={"negative": condition.negative})
    return condition


def archive_condition(condition: ClearingCondition) -> None:
    if condition.archived_at is not None:
        return
    condition.archived_at = utcnow()
    db.session.flush()
    audit("clearing.condition_archive", unit_id=condition.unit_id, object_type="clearing_conditions",
          object_id=condition.id)


# ---------------------------------------------------------------- the pool (备选库)


def candidate_from_petition(unit: Unit, petition: Petition) -> ClearingCandidate:
    """失实检举控告: the accused person of the unit's own petition concluded unfounded is owed a clearing; the
    pool links back to the petition (petitions call this through ``UNFOUNDED_FOLLOW_UPS``)."""
    return record_candidate(unit, {
        "reference": petition.number, "concluded_on": petition.concluded_on, "person_name": petition.accused_name,
        "person_position": petition.accused_position,
        "person_work_unit": petition.accused_work_unit or _("（未注明单位）"),
        "accusation": petition.summary, "finding": petition.findings,
        "priority_flags": list(petition.accused_work_areas or [])}, petition_id=petition.id)


def record_candidate(unit: Unit, data: dict, *, petition_id: int | None = None) -> ClearingCandidate:
    """A concluded unfounded accusation enters the pool: recorded by hand, or from the unit's own petition
    concluded 不属实 (``petition_id``, the link back)."""
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    fields = _subject(errors, data)
    reference = _text(errors, data, "reference", _("原件编号"), limit=64)
    concluded_on = _day(errors, data, "concluded_on", _("办结日期"), not_after=today)
    if concluded_on and concluded_on < _years_before(today, POOL_YEARS):
        add_error(errors, "concluded_on", _("办结已超过三年的不纳入备选库"))
    accusation = _text(errors, data, "accusation", _("反映的问题"))
    finding = _text(errors, data, "finding", _("核查结论"), required=False)
    flags = _flags(errors, data.get("priority_flags"))
    if errors:
        raise InvalidInput(errors)
    candidate = ClearingCandidate(unit_id=unit.id, unit_path=unit.path, reference=reference,
                                  concluded_on=concluded_on, accusation=accusation, finding=finding,
                                  priority_flags=flags, priority=priority_rank(flags), state="pool",
                                  petition_id=petition_id, **fields)
    db.session.add(candidate)
    db.session.flush()
    _count(unit, "candidates", 1)
    audit("clearing.candidate_add", unit_id=unit.id, object_type="clearing_candidates", object_id=candidate.id,
          detail={"petition": petition_id} if petition_id else None)
    return candidate


def set_candidate_flags(candidate: ClearingCandidate, raw_flags, *, expected_version: int | None = None) -> None:
    """The officer corrects why a candidate comes first: the petition's work areas are where it starts, the
    officer knows the person (e.g. 工作实绩优、群众口碑好); the pool reorders at once."""
    check_version(candidate, expected_version)
    if candidate.state != "pool":
        raise Conflict(_("该线索已甄别，优先情形不再修改"))
    errors: dict[str, list[str]] = {}
    flags = _flags(errors, raw_flags)
    if errors:
        raise InvalidInput(errors)
    before = list(candidate.priority_flags or [])
    candidate.priority_flags, candidate.priority = flags, priority_rank(flags)
    db.session.flush()
    audit("clearing.candidate_flags", unit_id=candidate.unit_id, object_type="clearing_candidates",
          object_id=candidate.id, detail={"before": before, "after": flags})


def screen_candidate(candidate: ClearingCandidate, *, accept: bool, reason: str = "",
                     expected_version: int | None = None) -> ClearingCase | None:
    """甄别: accept into clearing (a case opens at 申请) or set aside as not suitable, with a reason."""
    check_version(candidate, expected_version)
    if candidate.state != "pool":
        raise Conflict(_("该线索已甄别"))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise InvalidInput({"reason": [_("不适宜澄清须说明理由")]})
    unit = db.session.get(Unit, candidate.unit_id)
    candidate.state = "accepted" if accept else "unsuitable"
    candidate.screening_reason = reason or None
    candidate.screened_at = utcnow()
    _count(unit, "candidates", -1)
    audit("clearing.candidate_screen", unit_id=unit.id, object_type="clearing_candidates", object_id=candidate.id,
          detail={"accepted": accept})
    if not accept:
        db.session.flush()
        return None
    return _open_case(unit, origin="pool", candidate=candidate, applied_on=calendar.today(), fields={
        "reference": candidate.reference, "subject_kind": candidate.subject_kind,
        "person_name": candidate.person_name, "person_position": candidate.person_position,
        "person_work_unit": candidate.person_work_unit, "accusation": candidate.accusation,
        "finding": candidate.finding, "priority_flags": list(candidate.priority_flags),
        "batch_id": candidate.batch_id})


def register_application(unit: Unit, data: dict) -> ClearingCase:
    """绿色通道: the accused person's written application, answered within the configured working days."""
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    fields = _subject(errors, data)
    fields["accusation"] = _text(errors, data, "accusation", _("被反映的问题"))
    fields["request"] = _text(errors, data, "request", _("申请事项"))
    fields["reference"] = _text(errors, data, "reference", _("原件编号"), required=False, limit=64)
    fields["priority_flags"] = _flags(errors, data.get("priority_flags"))
    applied_on = _day(errors, data, "applied_on", _("申请日期"), not_after=today)
    if errors:
        raise InvalidInput(errors)
    days = parameters.get("CLEARING_GREEN_CHANNEL_WORKDAYS")
    return _open_case(unit, origin="green_channel", candidate=None, applied_on=applied_on, fields=fields,
                      due_on=calendar.add_workdays(applied_on, days))


def _open_case(unit: Unit, *, origin: str, candidate: ClearingCandidate | None, applied_on: date, fields: dict,
               due_on: date | None = None) -> ClearingCase:
    year = calendar.today().year
    seq, number = next_number(unit, "clearing", year)
    flags = fields.pop("priority_flags")
    case = ClearingCase(unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number, origin=origin,
                        candidate_id=getattr(candidate, "id", None), applied_on=applied_on, state="applied",
                        person_key=person_key(fields["person_name"], fields["person_work_unit"]),
                        person_name_key=name_key(fields["person_name"]),
                        priority_flags=flags, priority=priority_rank(flags),
                        due_on=due_on or calendar.add_workdays(calendar.today(), STEP_WORKDAYS["applied"]),
                        **fields)
    db.session.add(case)
    CASE_FLOW.begin(case, detail={"number": number, "origin": origin})
    handler_ops.assign_at_registration(case, unit)  # 承办人: whoever opens the case, when they handle
    _count(unit, "state.applied", 1)
    _task(case, unit, "assess", HANDLERS, _("澄清件待评估：%(l)s", l=case.label))
    refresh_overdue(unit)
    return case


# ---------------------------------------------------------------- quarterly batches


def plan_batch(unit: Unit, data: dict, candidate_ids: list[int]) -> ClearingBatch:
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    try:
        year, quarter = int(data.get("year") or 0), int(data.get("quarter") or 0)
    except (TypeError, ValueError):
        year = quarter = 0
    if not (today.year - 1 <= year <= today.year + 1) or quarter not in (1, 2, 3, 4):
        add_error(errors, "quarter", _("请选择年度和季度"))
    elif db.session.scalar(select(ClearingBatch.id).where(ClearingBatch.unit_id == unit.id,
                                                          ClearingBatch.year == year,
                                                          ClearingBatch.quarter == quarter)):
        add_error(errors, "quarter", _("%(y)s年第%(q)s季度的批次已存在", y=year, q=quarter))
    target_on = _day(errors, data, "target_on", _("计划完成日期"))
    if target_on and target_on < today:
        add_error(errors, "target_on", _("计划完成日期不能早于今天"))
    candidates = db.session.scalars(select(ClearingCandidate).where(
        ClearingCandidate.unit_id == unit.id, ClearingCandidate.id.in_(candidate_ids or []),
        ClearingCandidate.state == "pool", ClearingCandidate.batch_id.is_(None))).all()
    if not candidates:
        add_error(errors, "candidate_ids", _("请从备选库中选择至少一条待澄清线索"))
    if errors:
        raise InvalidInput(errors)
    batch = ClearingBatch(unit_id=unit.id, unit_path=unit.path, year=year, quarter=quarter, target_on=target_on,
                          note=str(data.get("note") or "").strip())
    db.session.add(batch)
    db.session.flush()
    for candidate in candidates:
        candidate.batch_id = batch.id
    db.session.flush()
    audit("clearing.batch_plan", unit_id=unit.id, object_type="clearing_batches", object_id=batch.id,
          detail={"year": year, "quarter": quarter, "total": len(candidates)})
    return batch


# ---------------------------------------------------------------- the chain


def conditions_for(unit: Unit) -> list[ClearingCondition]:
    """The conditions list in force at ``unit``: its own and its ancestors' (the province's, the city's)."""
    return list(db.session.scalars(select(ClearingCondition).where(
        ClearingCondition.unit_id.in_([*unit.ancestor_ids, unit.id]), ClearingCondition.archived_at.is_(None))
        .order_by(ClearingCondition.negative, ClearingCondition.id)))


def negative_conditions(case: ClearingCase) -> list[ClearingCondition]:
    ids = (case.assessment or {}).get("conditions", [])
    if not ids:
        return []
    return list(db.session.scalars(select(ClearingCondition).where(
        ClearingCondition.id.in_(ids), ClearingCondition.negative.is_(True))))


def take_step(case: ClearingCase, step: str, data: dict, *, acting_unit: Unit,
              expected_version: int | None = None, share: Share | None = None) -> None:
    """The one entry for a step of the chain (views and API): state, version, data, then the step.

    ``share``: the step is taken by another unit through a share of the case — the higher unit's review
    (提级审核) or another township's cross-handling (交叉办案) — and is logged on the owner's side. A
    cross-handler works the owner's case: the case, its visits and its figures stay the owner's."""
    check_version(case, expected_version)
    if step not in {t.name for t in CASE_FLOW.transitions}:
        raise InvalidInput({"transition": [_("没有这个办理环节")]})
    if step not in {t.name for t in CASE_FLOW.available(case)}:
        raise CASE_FLOW.not_now(case, step)
    handler = _STEPS[step]
    handler(case, data, acting_unit if step in HIGHER_REVIEW_STEPS else db.session.get(Unit, case.unit_id))
    if share is not None:
        tenancy_ops.record_share_access(share, action=step)


def _advance(case: ClearingCase, step: str, *, reason: str | None = None, detail: dict | None = None,
             counterpart_unit_id: int | None = None) -> None:
    """Apply the transition, move the owner's stage counts and the step's deadline and inbox tasks."""
    unit = db.session.get(Unit, case.unit_id)
    before = case.state
    CASE_FLOW.apply(case, step, reason=reason, detail=detail, counterpart_unit_id=counterpart_unit_id)
    case.due_on = (calendar.add_workdays(calendar.today(), STEP_WORKDAYS[case.state])
                   if case.state in STEP_WORKDAYS else None)
    _count(unit, f"state.{before}", -1)
    _count(unit, f"state.{case.state}", 1)
    inbox.close("clearing_cases", case.id, unit_id=unit.id, key_prefix=f"clr:{case.id}:")
    next_task = _NEXT_TASKS.get(case.state)
    if next_task:
        roles, title = next_task
        _task(case, unit, case.state, roles, title(case))
    refresh_overdue(unit)


def _task(case: ClearingCase, unit: Unit, step: str, roles: tuple[str, ...], title: str) -> None:
    inbox.post(unit, f"clr:{case.id}:{step}:{case.version}", kind=InboxKind.TASK, object_type="clearing_cases",
               object_id=case.id, due_on=case.due_on, roles=roles, title=title)


_NEXT_TASKS = {
    "applied": (HANDLERS, lambda c: _("澄清件退回重新评估：%(l)s", l=c.label)),
    "assessed": (LEADERS, lambda c: _("澄清件待复核：%(l)s", l=c.label)),
    "reviewed": (HANDLERS, lambda c: _("澄清件待制定方案：%(l)s", l=c.label)),
    "plan_submitted": (LEADERS, lambda c: _("澄清方案待审批：%(l)s", l=c.label)),
    "plan_approved": (HANDLERS, lambda c: _("澄清方案已批准，待实施：%(l)s", l=c.label)),
    "cleared": (HANDLERS, lambda c: _("澄清件待反馈：%(l)s", l=c.label)),
    "fed_back": (HANDLERS, lambda c: _("澄清件待备案：%(l)s", l=c.label)),
}


def _assess(case: ClearingCase, data: dict, unit: Unit) -> None:
    errors: dict[str, list[str]] = {}
    checklist = {key: bool(data.get(key)) for key in CHECKLIST}
    for key, passed in checklist.items():
        if not passed:
            add_error(errors, key, _("“%(item)s”未达到要求的，应补充核查或不予澄清，不能进入复核",
                                     item=CHECKLIST[key]))
    in_force = {c.id: c for c in conditions_for(unit)}
    try:
        ticked = sorted({int(i) for i in data.get("conditions") or []})
    except (TypeError, ValueError):
        ticked = [-1]
    if set(ticked) - in_force.keys():
        add_error(errors, "conditions", _("所选条件不在本单位适用的正反清单中"))
    opinion = _text(errors, data, "opinion", _("联审意见"))
    if errors:
        raise InvalidInput(errors)
    case.assessment = {"checklist": checklist, "conditions": ticked, "opinion": opinion}
    case.sensitive = bool(data.get("sensitive"))
    case.override_reason = None
    _advance(case, "assess", detail={"conditions": ticked, "sensitive": case.sensitive,
                                     "negative": [i for i in ticked if in_force[i].negative]})


def _review_data(case: ClearingCase, data: dict) -> dict:
    """A review's opinion; a ticked negative condition needs the leader's stated override."""
    errors: dict[str, list[str]] = {}
    opinion = _text(errors, data, "opinion", _("复核意见"))
    blocking = negative_conditions(case)
    override = str(data.get("override_reason") or "").strip()
    if blocking and not override:
        add_error(errors, "override_reason", _("已勾选负面清单条件（%(c)s），须由委领导说明理由方可澄清",
                                               c="；".join(c.text for c in blocking)))
    if errors:
        raise InvalidInput(errors)
    return {"opinion": opinion, "override_reason": override if blocking else None}


def _review(case: ClearingCase, data: dict, unit: Unit) -> None:
    if case.sensitive:
        raise InvalidInput({"_schema": [_("敏感复杂件须提级审核")]})
    answer = _review_data(case, data)
    case.review = {"opinion": answer["opinion"], "unit_id": unit.id, "unit": unit.name}
    case.override_reason = answer["override_reason"]
    _advance(case, "review", detail={"override": bool(answer["override_reason"])})


def _send_back(case: ClearingCase, data: dict, unit: Unit, step: str) -> None:
    _advance(case, step, reason=str(data.get("reason") or ""))


def _escalate(case: ClearingCase, data: dict, unit: Unit) -> None:
    """提级审核: the parent unit reviews; it sees the case through a share until it answers."""
    reviewer = db.session.get(Unit, unit.parent_id) if unit.parent_id else None
    if reviewer is None:
        raise InvalidInput({"_schema": [_("本单位没有上级单位，不能提级审核")]})
    case.sensitive = True
    _send_up(case, unit, reviewer, "escalate", ("higher_review", "higher_send_back"),
             _("%(u)s报请提级审核：%(l)s", u=unit.name, l=case.label))


def _escalate_plan(case: ClearingCase, data: dict, unit: Unit) -> None:
    """The plan of a case reviewed above goes back up for approval (方式方法 are the higher unit's to judge)."""
    if not case.sensitive or not case.reviewing_unit_id:
        raise InvalidInput({"_schema": [_("该件未经提级审核，澄清方案由本单位委领导审批")]})
    reviewer = db.session.get(Unit, case.reviewing_unit_id)
    _send_up(case, unit, reviewer, "escalate_plan", ("higher_approve_plan", "higher_reject_plan"),
             _("%(u)s报请审批澄清方案：%(l)s", u=unit.name, l=case.label))


def _send_up(case: ClearingCase, unit: Unit, reviewer: Unit, step: str, steps: tuple[str, ...], title: str) -> None:
    """A share of the case to the reviewing unit for exactly ``steps``, the step taken, a task in its inbox."""
    share = tenancy_ops.grant_share("clearing_cases", case.id, unit, purpose="escalated_review",
                                    grantee_unit=reviewer, transitions=steps, reason=case.number)
    case.share_id, case.reviewing_unit_id = share.id, reviewer.id
    _advance(case, step, detail={"reviewing_unit_id": reviewer.id}, counterpart_unit_id=reviewer.id)
    inbox.post(reviewer, f"clr:{case.id}:{steps[0]}:{case.version}", kind=InboxKind.TASK,
               object_type="clearing_cases", object_id=case.id, due_on=case.due_on, roles=HIGHER_REVIEWERS,
               title=title)


def _end_higher_review(case: ClearingCase, reviewer: Unit) -> None:
    inbox.close("clearing_cases", case.id, unit_id=reviewer.id)
    share_id, case.share_id = case.share_id, None
    db.session.flush()  # every change to the case is written while the share still admits the reviewer
    if share_id:
        tenancy_ops.revoke_share(db.session.get(Share, share_id), reason=_("提级审核已完成"))


def _higher_review(case: ClearingCase, data: dict, reviewer: Unit) -> None:
    answer = _review_data(case, data)
    case.review = {"opinion": answer["opinion"], "unit_id": reviewer.id, "unit": reviewer.name, "escalated": True}
    case.override_reason = answer["override_reason"]
    _advance(case, "higher_review", detail={"override": bool(answer["override_reason"])},
             counterpart_unit_id=reviewer.id)
    _end_higher_review(case, reviewer)


def _higher_send_back(case: ClearingCase, data: dict, reviewer: Unit, step: str = "higher_send_back") -> None:
    _advance(case, step, reason=str(data.get("reason") or ""), counterpart_unit_id=reviewer.id)
    _end_higher_review(case, reviewer)


def _higher_approve_plan(case: ClearingCase, data: dict, reviewer: Unit) -> None:
    case.plan = {**(case.plan or {}), "approved_by_id": context.current().account_id, "approved_unit": reviewer.name,
                 "approved_on": calendar.today().isoformat()}
    _advance(case, "higher_approve_plan", counterpart_unit_id=reviewer.id)
    _end_higher_review(case, reviewer)


def _submit_plan(case: ClearingCase, data: dict, unit: Unit) -> None:
    errors: dict[str, list[str]] = {}
    method = str(data.get("method") or "")
    if method not in METHOD_LABELS.codes():
        add_error(errors, "method", _("请选择澄清方式"))
    scope = _text(errors, data, "scope", _("澄清范围"), limit=300)
    venue = _text(errors, data, "venue", _("澄清地点"), required=method != Method.NOTICE and method != Method.MEDIA,
                  limit=200)
    planned_on = _day(errors, data, "planned_on", _("计划澄清日期"))
    if planned_on and planned_on < calendar.today():
        add_error(errors, "planned_on", _("计划澄清日期不能早于今天"))
    if errors:
        raise InvalidInput(errors)
    case.plan = {"method": method, "scope": scope, "venue": venue, "planned_on": planned_on.isoformat()}
    dictionaries.note_use(METHOD_LABELS.name, method)  # an added method in use: no longer removable
    _advance(case, "submit_plan", detail=case.plan)


def _approve_plan(case: ClearingCase, data: dict, unit: Unit) -> None:
    if case.sensitive:
        raise InvalidInput({"_schema": [_("该件经提级审核，澄清方案须报上级审批")]})
    case.plan = {**(case.plan or {}), "approved_by_id": context.current().account_id,
                 "approved_on": calendar.today().isoformat()}
    _advance(case, "approve_plan")


def _clear(case: ClearingCase, data: dict, unit: Unit) -> None:
    """The clearing itself: its record, the cleared figures, and the four follow-up visits scheduled."""
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    held_on = _day(errors, data, "held_on", _("澄清日期"), not_after=today)
    attendance = _text(errors, data, "attendance", _("参加人员及范围"), limit=500)
    presided_by = _text(errors, data, "presided_by", _("主持人"), limit=100)
    if errors:
        raise InvalidInput(errors)
    case.clearing = {"held_on": held_on.isoformat(), "attendance": attendance, "presided_by": presided_by}
    case.cleared_on = held_on
    # An indicator's term (timeliness), judged against the deadline the clearing was due by, before the
    # step moves the deadline on to the next stage's.
    case.cleared_on_time = case.due_on is None or held_on <= case.due_on
    _advance(case, "clear", detail=case.clearing)
    metric = "cleared_units" if case.subject_kind == SubjectKind.UNIT else "cleared_persons"
    _count(unit, metric, 1)
    _count(unit, metric, 1, held_on.isoformat())
    if case.cleared_on_time:
        _count(unit, "cleared_on_time", 1)
        _count(unit, "cleared_on_time", 1, held_on.isoformat())
    due_on = calendar.add_workdays(held_on, parameters.get("CLEARING_VISIT_WORKDAYS"))
    with context.writing_as(unit.id, unit.path):  # the owner's visits, also when a cross-handler cleared
        for kind in VISIT_ORDER:
            db.session.add(ClearingVisit(unit_id=unit.id, unit_path=unit.path, case_id=case.id, kind=kind,
                                         due_on=due_on))
        db.session.flush()
    _count(unit, "visits_due", len(VISIT_ORDER))
    refresh_overdue(unit)


def _feedback(case: ClearingCase, data: dict, unit: Unit) -> None:
    errors: dict[str, list[str]] = {}
    today = calendar.today()
    feedback = {
        "person_on": _day(errors, data, "person_on", _("向本人反馈日期"), not_after=today),
        "party_org": _text(errors, data, "party_org", _("所在党组织"), limit=100),
        "org_head": _text(errors, data, "org_head", _("党组织主要负责人（一把手）"), limit=50),
        "org_on": _day(errors, data, "org_on", _("向党组织反馈日期"), not_after=today),
        "personnel_dept": _text(errors, data, "personnel_dept", _("抄送的组织（人事）部门"), limit=100),
        "personnel_on": _day(errors, data, "personnel_on", _("抄送日期"), not_after=today),
    }
    if errors:
        raise InvalidInput(errors)
    case.feedback = {k: v.isoformat() if isinstance(v, date) else v for k, v in feedback.items()}
    _advance(case, "feedback", detail=case.feedback)


def _file(case: ClearingCase, data: dict, unit: Unit) -> None:
    errors: dict[str, list[str]] = {}
    filed_on = _day(errors, data, "filed_on", _("备案日期"), not_after=calendar.today())
    if errors:
        raise InvalidInput(errors)
    case.filed_on = filed_on
    _advance(case, "file", detail={"filed_on": filed_on.isoformat()})


def _decline(case: ClearingCase, data: dict, unit: Unit) -> None:
    case.closed_reason = str(data.get("reason") or "").strip() or None
    _advance(case, "decline", reason=case.closed_reason)


_STEPS = {
    "assess": _assess,
    "review": _review,
    "send_back_assessment": lambda c, d, u: _send_back(c, d, u, "send_back_assessment"),
    "escalate": _escalate,
    "higher_review": _higher_review,
    "higher_send_back": _higher_send_back,
    "submit_plan": _submit_plan,
    "approve_plan": _approve_plan,
    "escalate_plan": _escalate_plan,
    "higher_approve_plan": _higher_approve_plan,
    "higher_reject_plan": lambda c, d, u: _higher_send_back(c, d, u, "higher_reject_plan"),
    "reject_plan": lambda c, d, u: _send_back(c, d, u, "reject_plan"),
    "clear": _clear,
    "feedback": _feedback,
    "send_back_feedback": lambda c, d, u: _send_back(c, d, u, "send_back_feedback"),
    "file": _file,
    "decline": _decline,
}


# ---------------------------------------------------------------- follow-up visits (一人四访)


def record_visit(visit: ClearingVisit, data: dict, *, expected_version: int | None = None) -> None:
    check_version(visit, expected_version)
    errors: dict[str, list[str]] = {}
    first_time = visit.visited_on is None
    visited_on = _day(errors, data, "visited_on", _("回访日期"), not_after=calendar.today())
    if visited_on and visit.case.cleared_on and visited_on < visit.case.cleared_on:
        add_error(errors, "visited_on", _("回访日期不能早于澄清日期"))
    values = {
        "visitors": _text(errors, data, "visitors", _("回访人"), limit=200),
        "mental_state": _text(errors, data, "mental_state", _("思想状态"), limit=1000),
        "work_performance": _text(errors, data, "work_performance", _("工作表现"), limit=1000),
        "family_situation": _text(errors, data, "family_situation", _("家庭情况"), required=False, limit=1000),
        "notes": _text(errors, data, "notes", _("其他情况"), required=False, limit=2000),
    }
    if errors:
        raise InvalidInput(errors)
    unit = db.session.get(Unit, visit.unit_id)
    old_day = visit.visited_on
    visit.visited_on = visited_on
    for key, value in values.items():
        setattr(visit, key, value)
    visit.recorded_by_id = context.current().account_id
    if first_time:
        _count(unit, "visits_due", -1)
        _count(unit, "visits_done", 1)
    elif old_day != visited_on:
        _count(unit, "visits_done", -1, old_day.isoformat())
    if first_time or old_day != visited_on:
        _count(unit, "visits_done", 1, visited_on.isoformat())
    inbox.close("clearing_visits", visit.id, unit_id=unit.id)
    refresh_overdue(unit)
    # What was found (family situation included) stays in the record; the trail says who wrote which visit.
    audit("clearing.visit_record" if first_time else "clearing.visit_update", unit_id=unit.id,
          object_type="clearing_visits", object_id=visit.id,
          detail={"case": visit.case_id, "kind": visit.kind, "visited_on": visited_on.isoformat()})


# ---------------------------------------------------------------- deadlines (the periodic job)


def scan_deadlines(today: date) -> dict[str, int]:
    """Due-soon and overdue warnings for open cases, overdue visits, and the overdue figures recounted.

    Idempotent: one warning per case, step and threshold; per visit once.
    """
    posted = {"due_soon": 0, "overdue": 0, "visits_overdue": 0}
    touched: set[int] = set()
    cases = db.session.scalars(select(ClearingCase).where(ClearingCase.state.in_(OPEN),
                                                          ClearingCase.due_on.is_not(None),
                                                          ClearingCase.due_on <= calendar.add_workdays(today, calendar.DUE_SOON_WORKDAYS)))
    for case in cases:
        state = calendar.due_state(case.due_on, today)
        if state == "ok":
            continue
        unit = db.session.get(Unit, case.unit_id)
        kind = InboxKind.OVERDUE if state == "overdue" else InboxKind.DUE_SOON
        roles = HANDLERS if state == "overdue" else (_NEXT_TASKS.get(case.state, (HANDLERS,))[0])
        title = (_("澄清件已逾期（%(s)s）：%(l)s", s=CASE_FLOW.label(case.state), l=case.label) if state == "overdue"
                 else _("澄清件即将到期（%(s)s）：%(l)s", s=CASE_FLOW.label(case.state), l=case.label))
        posted[state] += inbox.post(unit, f"clr:{case.id}:{state}:{case.state}:{case.version}", kind=kind,
                                    object_type="clearing_cases", object_id=case.id, due_on=case.due_on,
                                    roles=roles, title=title)
        touched.add(unit.id)
    visits = db.session.scalars(select(ClearingVisit).where(ClearingVisit.visited_on.is_(None),
                                                            ClearingVisit.due_on < today))
    for visit in visits:
        unit = db.session.get(Unit, visit.unit_id)
        posted["visits_overdue"] += inbox.post(
            unit, f"clrv:{visit.id}:overdue", kind=InboxKind.OVERDUE, object_type="clearing_visits",
            object_id=visit.id, due_on=visit.due_on, roles=HANDLERS,
            title=_("回访逾期（%(k)s）：%(n)s", k=visit.kind_label, n=visit.case.label))
        touched.add(unit.id)
    # Units whose overdue figure may have changed since the last scan: those with overdue work now and
    # those whose stored figure is not zero yet.
    touched |= set(db.session.scalars(select(UnitStat.unit_id).where(
        UnitStat.metric.in_(("clearing.overdue", "clearing.visits_overdue")), UnitStat.value > 0)))
    for unit_id in touched:
        refresh_overdue(db.session.get(Unit, unit_id), today)
    return posted


# ---------------------------------------------------------------- deadlines recounted when a year's holidays arrive


def _step_started_on(case: ClearingCase) -> date:
    """The day the case entered its current step (a step's deadline is counted from it)."""
    from core.workflow import TransitionRecord

    at = db.session.scalar(select(TransitionRecord.occurred_at).where(
        TransitionRecord.object_type == "clearing_cases", TransitionRecord.object_id == case.id,
        TransitionRecord.transition != "deadline").order_by(TransitionRecord.id.desc()).limit(1))
    return calendar.as_china_date(at) if at else case.applied_on


def _case_bases(case: ClearingCase) -> list[tuple[date, int]]:
    if case.state == "applied":  # opened on application: the green channel's term or the first step's
        return [(case.applied_on, parameters.get("CLEARING_GREEN_CHANNEL_WORKDAYS")),
                (case.applied_on, STEP_WORKDAYS["applied"])]
    return [(_step_started_on(case), STEP_WORKDAYS[case.state])] if case.state in STEP_WORKDAYS else []


def _log_case_deadline(case: ClearingCase, old: date, new: date, year: int) -> None:
    CASE_FLOW.note(case, "deadline", reason=calendar.deadline_change_reason(year, old, new),
                   detail={"from": old.isoformat(), "to": new.isoformat()})


def _log_visit_deadline(visit: ClearingVisit, old: date, new: date, year: int) -> None:
    what = _("%(kind)s回访期限", kind=visit.kind_label)
    CASE_FLOW.note(visit.case, "deadline", reason=calendar.deadline_change_reason(year, old, new, what),
                   detail={"visit": visit.kind, "from": old.isoformat(), "to": new.isoformat()})


calendar.register_deadline_source(calendar.DeadlineSource(
    ClearingCase, lambda: ClearingCase.state.in_(OPEN), _case_bases, _log_case_deadline))
calendar.register_deadline_source(calendar.DeadlineSource(
    ClearingVisit, lambda: ClearingVisit.visited_on.is_(None),
    lambda v: [(v.case.cleared_on, parameters.get("CLEARING_VISIT_WORKDAYS"))] if v.case.cleared_on else [],
    _log_visit_deadline))
