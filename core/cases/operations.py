"""Every write of cases (审查调查): opening from a lead, the case file, the review loop (镇案县审), the decision,
the execution of the sanction (处分执行), the overdue scan; each audited, each moving the case unit's figures in
the same transaction, and ``recount`` counting them again from the records (the nightly reconcile).

Figures (all at the case's unit): ``cases.opened`` / ``cases.self_handled`` / ``cases.decided`` /
``cases.reviews.{passed,sent_back,changed}`` / ``cases.form.<form>`` / ``cases.sanction.<category>`` (totals and
dated), ``cases.open`` / ``cases.in_review`` / ``cases.executions.open`` (stock, moved), ``cases.reviews.overdue`` /
``cases.executions.overdue`` (stock, time-based: recounted by ``refresh_overdue`` and the scan)."""
from __future__ import annotations

from collections import Counter
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select

from core import calendar, context
from core.audit.operations import record as audit
from core.cases.models import Case, CasePerson, CaseReview, CaseStep, ExecutionStep
from core.cases.workflow import (CASE_FLOW, CATEGORIES, EDITABLE, ESCALATE_AFTER,
                                 EXECUTION_WORKDAYS, KINDS, OPEN, OPINIONS, POST_EFFECT, REVIEW_PURPOSE,
                                 REVIEW_STEPS, REVIEW_WORKDAYS, SALARY_EFFECT, STEP_KINDS, STEPS, WATCH_PURPOSE)
from core.clearing import operations as clearing_ops
from core.errors import Conflict, InvalidInput, add_error
from core.extensions import db
from core.handlers import operations as handler_ops
from core.inbox import operations as inbox
from core.inbox.models import InboxKind
from core.leads.models import Form, Lead
from core.models import check_version
from core.numbering import next_number
from tenants import operations as tenancy_ops
from tenants.models import Role, Share, Unit, UnitLevel, UnitStat
from tenants.stats import with_coarser_keys

SERIES = "case"
TEXT_LIMIT = 5000
LEADERS, HANDLERS, REVIEWERS = (Role.LEADER.value,), (Role.LEADER.value, Role.OFFICER.value), (Role.REVIEWER.value,)


def _day(errors: dict, data: dict, field: str, label: str, *, not_before: date | None = None,
         default_today: bool = True) -> date | None:
    raw = data.get(field)
    if isinstance(raw, date):
        value = raw
    elif raw in (None, "") and default_today:
        value = calendar.today()
    else:
        try:
            value = date.fromisoformat(str(raw or "").strip())
        except ValueError:
            add_error(errors, field, _("请填写%(label)s（如 2026-03-01）", label=label))
            return None
    if value > calendar.today():
        add_error(errors, field, _("%(label)s不能晚于今天", label=label))
    elif not_before is not None and value < not_before:
        add_error(errors, field, _("%(label)s不能早于 %(d)s", label=label, d=not_before.isoformat()))
    return value


def _text(errors: dict, data: dict, field: str, message: str, *, required: bool = True,
          limit: int = TEXT_LIMIT) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        add_error(errors, field, message)
    elif len(value) > limit:
        add_error(errors, field, _("不能超过 %(n)s 个字", n=limit))
    return value


def _owner(case: Case) -> Unit:
    return db.session.get(Unit, case.unit_id)


def _count(unit: Unit, metric: str, delta: int, day: date | None = None) -> None:
    """A figure of the case's unit: its total, and (``day``) its dated row too."""
    tenancy_ops.bump_stat(unit, f"cases.{metric}", delta)
    if day is not None:
        tenancy_ops.bump_stat(unit, f"cases.{metric}", delta, day.isoformat())


# ---------------------------------------------------------------- opening from a lead (立案)


def may_open_from(lead: Lead) -> bool:
    return lead.state == "verified" and (lead.disposal or {}).get("recommendation") == "file"


def open_from_lead(lead: Lead, unit: Unit, data: dict | None = None) -> Case:
    """立案: a lead of the unit verified with 建议立案 becomes a case at the unit; its persons travel (sealed), the
    lead and the case link both ways. A township's case from a lead it handles itself (镇案镇办) is self-handled."""
    from core.cases.queries import case_of_lead

    data = data or {}
    if lead.unit_id != unit.id:
        raise InvalidInput({"_schema": [_("只能对本单位的问题线索立案")]})
    if not may_open_from(lead):
        raise InvalidInput({"_schema": [_("只有初步核实后建议立案的问题线索才能立案审查调查")]})
    if case_of_lead(lead) is not None:
        raise InvalidInput({"_schema": [_("该问题线索已立案")]})
    errors: dict[str, list[str]] = {}
    opened_on = _day(errors, data, "opened_on", _("立案日期"), not_before=lead.disposed_on)
    if errors:
        raise InvalidInput(errors)
    year = opened_on.year
    seq, number = next_number(unit, SERIES, year)
    self_handled = unit.level == UnitLevel.TOWNSHIP and lead.track == "township"
    case = Case(unit_id=unit.id, unit_path=unit.path, year=year, seq=seq, number=number, lead_id=lead.id,
                lead_number=lead.number, summary=lead.summary, opened_on=opened_on, self_handled=self_handled,
                opened_by_id=context.current().account_id, state="investigating", findings="")
    db.session.add(case)
    db.session.flush()
    for i, person in enumerate(lead.persons):
        row = CasePerson(unit_id=unit.id, unit_path=unit.path, case_id=case.id, position_order=i, level=person.level,
                         party_member=person.party_member, name_key=person.name_key)
        row.person_name, row.person_position, row.person_work_unit = (person.person_name, person.person_position,
                                                                      person.person_work_unit)
        db.session.add(row)
    db.session.flush()
    db.session.expire(case, ["persons"])
    CASE_FLOW.begin(case, detail={"number": number, "lead_id": lead.id})
    handler_ops.assign_at_registration(case, unit)
    _count(unit, "opened", 1, opened_on)
    if self_handled:
        _count(unit, "self_handled", 1, opened_on)
    _count(unit, "open", 1)
    audit("case.open", unit_id=unit.id, object_type="cases", object_id=case.id,
          detail={"number": number, "lead_id": lead.id, "self_handled": self_handled})
    return case


# ---------------------------------------------------------------- the case file (案卷)


def _editable(case: Case) -> None:
    if case.state not in EDITABLE:
        raise Conflict(_("案件已移送审理或已作出决定，案卷不能再修改"),
                       detail={"state": case.state, "state_label": case.state_label})


def add_investigation_step(case: Case, data: dict, *, expected_version: int | None = None) -> CaseStep:
    """One dated measure of the investigation (谈话, 调取证据, 函询 …)."""
    check_version(case, expected_version)
    _editable(case)
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "")
    if kind not in STEP_KINDS:
        add_error(errors, "kind", _("请选择审查调查措施（谈话、调取证据、函询或其他）"))
    taken_on = _day(errors, data, "taken_on", _("日期"), not_before=case.opened_on)
    content = _text(errors, data, "content", _("请填写审查调查措施的情况"))
    if errors:
        raise InvalidInput(errors)
    step = CaseStep(unit_id=case.unit_id, unit_path=case.unit_path, case_id=case.id, taken_on=taken_on, kind=kind,
                    content=content, recorded_by_id=context.current().account_id)
    db.session.add(step)
    db.session.flush()
    db.session.expire(case, ["steps"])
    audit("case.investigation_step", unit_id=case.unit_id, object_type="cases", object_id=case.id,
          detail={"kind": kind, "taken_on": taken_on.isoformat()})
    return step


def clean_proposal(data: dict, errors: dict) -> dict:
    """处理意见: the category (党纪 / 政务 / 组织处理 / 不予处分), its kind, the form (四种形态) and the reasons."""
    category = str(data.get("category") or "")
    kind = str(data.get("kind") or "")
    if category not in CATEGORIES:
        add_error(errors, "category", _("请选择处理意见（党纪处分、政务处分、组织处理或不予处分）"))
    elif KINDS[category] and kind not in KINDS[category]:
        add_error(errors, "kind", _("请选择%(c)s的种类", c=CATEGORIES[category]))
    form = str(data.get("form") or "")
    if form and form not in Form.__members__.values():
        add_error(errors, "form", _("请选择四种形态之一（第一种至第四种形态）"))
    elif not form and category in CATEGORIES and category != "none":
        add_error(errors, "form", _("请选择该处理意见所属的形态（第一种至第四种形态）"))
    reasons = _text(errors, data, "reasons", "", required=False, limit=2000)
    return {"category": category, "kind": kind if category != "none" else "", "form": form or None,
            "reasons": reasons}


def update_file(case: Case, data: dict, *, expected_version: int | None = None) -> None:
    """查明的事实 and 处理意见, written while investigating or answering a send-back; everything checked first."""
    check_version(case, expected_version)
    _editable(case)
    errors: dict[str, list[str]] = {}
    findings = _text(errors, data, "findings", _("请填写查明的事实"))
    proposal = clean_proposal(data, errors)
    if errors:
        raise InvalidInput(errors)
    case.findings, case.proposal = findings, proposal
    db.session.flush()
    audit("case.file", unit_id=case.unit_id, object_type="cases", object_id=case.id,
          detail={"category": proposal["category"], "kind": proposal["kind"], "form": proposal["form"]})


def _check_file(case: Case) -> None:
    errors: dict[str, list[str]] = {}
    if not case.steps:
        add_error(errors, "steps", _("请先记录至少一项审查调查措施"))
    if not case.findings:
        add_error(errors, "findings", _("请先填写查明的事实"))
    if not case.proposal:
        add_error(errors, "proposal", _("请先提出处理意见"))
    if errors:
        raise InvalidInput(errors)


# ---------------------------------------------------------------- shares of the file (the review, the watch)


def _file_rows(case: Case) -> list[tuple[str, int]]:
    db.session.flush()
    db.session.expire(case, ["persons", "steps", "execution"])
    return [("cases", case.id)] + [(row.__tablename__, row.id) for row in (*case.persons, *case.steps,
                                                                          *case.execution)]


def _share_file(case: Case, owner: Unit, grantee: Unit, purpose: str, transitions: tuple[str, ...] = ()) -> None:
    """The case and its file (persons, investigation, execution) shared to ``grantee`` for ``purpose``."""
    for object_type, object_id in _file_rows(case):
        tenancy_ops.grant_share(object_type, object_id, owner, purpose=purpose, grantee_unit=grantee,
                                transitions=transitions if object_type == "cases" else (), reason=case.number)


def _unshare_file(case: Case, purpose: str, reason: str) -> None:
    rows = _file_rows(case)
    by_type: dict[str, list[int]] = {}
    for object_type, object_id in rows:
        by_type.setdefault(object_type, []).append(object_id)
    shares = db.session.scalars(select(Share).where(
        Share.unit_id == case.unit_id, Share.purpose == purpose, Share.revoked_at.is_(None),
        or_(*[and_(Share.object_type == t, Share.object_id.in_(ids)) for t, ids in by_type.items()])))
    for share in shares:
        tenancy_ops.revoke_share(share, reason=reason)


def watched(case: Case, purpose: str = WATCH_PURPOSE) -> bool:
    return db.session.scalar(select(Share.id).where(
        Share.unit_id == case.unit_id, Share.object_type == "cases", Share.object_id == case.id,
        Share.purpose == purpose, Share.revoked_at.is_(None)).limit(1)) is not None


# ---------------------------------------------------------------- the steps: review loop, decision


def review_unit_of(unit: Unit) -> Unit:
    """镇案县审: a township's case is reviewed by its county (the parent); any other unit reviews its own."""
    if unit.level == UnitLevel.TOWNSHIP and unit.parent_id:
        return db.session.get(Unit, unit.parent_id)
    return unit


def current_review(case: Case) -> CaseReview | None:
    if not case.review_round:
        return None
    return db.session.scalar(select(CaseReview).where(CaseReview.case_id == case.id,
                                                      CaseReview.round == case.review_round))


def take_step(case: Case, step: str, data: dict, *, acting_unit: Unit, expected_version: int | None = None,
              share: Share | None = None) -> None:
    """The one entry for a step (views and API): state, version, data, then the step. ``share``: the county's
    review of a township's case goes through the review share (logged on the owner's side)."""
    check_version(case, expected_version)
    if step not in STEPS:
        raise InvalidInput({"transition": [_("没有这个办理环节")]})
    available = {t.name for t in CASE_FLOW.available(case)}
    if step not in available:
        raise CASE_FLOW.not_now(case, step)
    owner = _owner(case)
    if step in ("submit", "resubmit"):
        _submit(case, step, data, owner)
    elif step in REVIEW_STEPS:
        _review(case, step, data, acting_unit, owner)
    else:
        _decide(case, data, owner)
    if share is not None:
        tenancy_ops.record_share_access(share, action=step)


def _submit(case: Case, step: str, data: dict, owner: Unit) -> None:
    errors: dict[str, list[str]] = {}
    previous = current_review(case)
    not_before = previous.reviewed_on if previous is not None else case.opened_on
    submitted_on = _day(errors, data, "submitted_on", _("移送审理日期"), not_before=not_before)
    answer = ""
    if step == "resubmit":
        answer = _text(errors, data, "answer", _("请写明针对审理意见补充调查或调整处理意见的情况"))
    try:
        _check_file(case)
    except InvalidInput as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                add_error(errors, field, message)
    if errors:
        raise InvalidInput(errors)
    if previous is not None and step == "resubmit":
        previous.answer, previous.answered_on = answer, submitted_on
    reviewer = review_unit_of(owner)
    days = current_app.config.get("CASE_REVIEW_WORKDAYS", REVIEW_WORKDAYS)
    due_on = calendar.add_workdays(submitted_on, days)
    case.review_unit_id, case.review_round, case.review_due_on = reviewer.id, case.review_round + 1, due_on
    review = CaseReview(unit_id=reviewer.id, unit_path=reviewer.path, case_id=case.id, case_unit_id=owner.id,
                        case_number=case.number, round=case.review_round, submitted_on=submitted_on,
                        submitted_by_id=context.current().account_id, due_on=due_on, proposal=dict(case.proposal))
    db.session.add(review)
    other = reviewer.id != owner.id
    CASE_FLOW.apply(case, step, detail={"round": case.review_round, "due_on": due_on.isoformat(),
                                        **({"answer": answer} if answer else {})},
                    counterpart_unit_id=reviewer.id if other else None)
    if other:
        _share_file(case, owner, reviewer, REVIEW_PURPOSE, REVIEW_STEPS)
    _count(owner, "in_review", 1)
    inbox.close("cases", case.id, unit_id=owner.id, key_prefix=f"case:{case.id}:")
    inbox.post(reviewer, f"case:{case.id}:review:{case.review_round}", kind=InboxKind.TASK, object_type="cases",
               object_id=case.id, due_on=due_on, roles=REVIEWERS,
               title=_("%(u)s移送审理：%(n)s", u=owner.name, n=case.number) if other
               else _("案件待审理：%(n)s", n=case.number))
    refresh_overdue(owner)


def _review(case: Case, step: str, data: dict, reviewer: Unit, owner: Unit) -> None:
    review = current_review(case)
    if review is None or review.unit_id != reviewer.id:
        raise InvalidInput({"_schema": [_("该案件不由本单位审理")]})
    opinion = OPINIONS[step]
    errors: dict[str, list[str]] = {}
    reviewed_on = _day(errors, data, "reviewed_on", _("审理日期"), not_before=review.submitted_on)
    message = {"agree": "", "send_back": _("请写明需要补充调查的问题"),
               "change": _("请写明建议改变定性或处分的理由")}[opinion]
    points = _text(errors, data, "points", message, required=opinion != "agree")
    if errors:
        raise InvalidInput(errors)
    review.opinion, review.points, review.reviewed_on = opinion, points or None, reviewed_on
    review.reviewer_id = context.current().account_id
    other = reviewer.id != owner.id
    CASE_FLOW.apply(case, step, reason=points or None, detail={"round": review.round},
                    counterpart_unit_id=reviewer.id if other else None)
    case.review_due_on = None
    _count(owner, "in_review", -1)
    _count(owner, {"agree": "reviews.passed", "send_back": "reviews.sent_back", "change": "reviews.changed"}[opinion],
           1, reviewed_on)
    inbox.close("cases", case.id, unit_id=reviewer.id, key_prefix=f"case:{case.id}:review:")
    if opinion == "agree":
        inbox.post(owner, f"case:{case.id}:decide", kind=InboxKind.TASK, object_type="cases", object_id=case.id,
                   roles=LEADERS, title=_("审理同意，待作出决定：%(n)s", n=case.number))
    else:
        inbox.post(owner, f"case:{case.id}:returned:{review.round}", kind=InboxKind.TASK, object_type="cases",
                   object_id=case.id, account_id=case.handler_id, roles=() if case.handler_id else HANDLERS,
                   title=_("审理意见：%(o)s：%(n)s", o=review.opinion_label, n=case.number))
    if other:
        _unshare_file(case, REVIEW_PURPOSE, _("本轮审理已完成"))
    audit("case.review", unit_id=owner.id, object_type="cases", object_id=case.id,
          detail={"round": review.round, "opinion": opinion, "reviewing_unit": reviewer.id})
    refresh_overdue(owner)


def _execution_steps(category: str, kind: str) -> list[str]:
    kinds = ["deliver_person", "deliver_org", "archive"]
    if (category, kind) in SALARY_EFFECT:
        kinds.append("salary")
    if (category, kind) in POST_EFFECT:
        kinds.append("post")
    return kinds


def _decide(case: Case, data: dict, owner: Unit) -> None:
    """决定: the leader records the decision the review agreed (never before 同意: the state admits it only then).
    A sanction opens its execution; 不予处分 closes the case and puts each person in the clearing pool."""
    review = current_review(case)
    if review is None or review.opinion != "agree":
        raise InvalidInput({"_schema": [_("审理同意后方可作出决定")]})
    errors: dict[str, list[str]] = {}
    decided_on = _day(errors, data, "decided_on", _("决定日期"), not_before=review.reviewed_on)
    note = _text(errors, data, "note", "", required=False, limit=200)
    if errors:
        raise InvalidInput(errors)
    proposal = dict(case.proposal or {})
    category, kind, form = proposal.get("category"), proposal.get("kind") or "", proposal.get("form")
    case.decision = {"category": category, "kind": kind, "form": form, "note": note,
                     "by_id": context.current().account_id}
    case.decided_on, case.sanction, case.form = decided_on, category, form
    _count(owner, "decided", 1, decided_on)
    _count(owner, f"sanction.{category}", 1, decided_on)
    if form:
        _count(owner, f"form.{form}", 1, decided_on)
    inbox.close("cases", case.id, unit_id=owner.id, key_prefix=f"case:{case.id}:")
    if category == "none":
        CASE_FLOW.apply(case, "decide_none", detail={"category": category, "form": form})
        case.executed_on = decided_on
        _count(owner, "open", -1)
        for person in case.persons:
            clearing_ops.record_candidate(owner, {
                "reference": case.number, "concluded_on": decided_on, "person_name": person.person_name,
                "person_position": person.person_position,
                "person_work_unit": person.person_work_unit or _("（未注明单位）"),
                "accusation": case.summary, "finding": case.findings})
    else:
        CASE_FLOW.apply(case, "decide", detail={"category": category, "kind": kind, "form": form})
        due = None
        for i, step_kind in enumerate(_execution_steps(category, kind)):
            step_due = calendar.add_workdays(decided_on, EXECUTION_WORKDAYS[step_kind])
            db.session.add(ExecutionStep(unit_id=owner.id, unit_path=owner.path, case_id=case.id, position_order=i,
                                         kind=step_kind, due_on=step_due))
            due = max(due or step_due, step_due)
        case.execution_due_on = due
        db.session.flush()
        db.session.expire(case, ["execution"])
        _count(owner, "executions.open", 1)
    audit("case.decide", unit_id=owner.id, object_type="cases", object_id=case.id,
          detail={"category": category, "kind": kind, "form": form, "decided_on": decided_on.isoformat()})
    refresh_overdue(owner)


# ---------------------------------------------------------------- 处分执行


def _executing(case: Case) -> None:
    if case.state != "executing":
        raise Conflict(_("该案件不在处分执行阶段"), detail={"state": case.state, "state_label": case.state_label})


def add_execution_step(case: Case, data: dict, *, expected_version: int | None = None) -> ExecutionStep:
    """Another effect to follow (e.g. 影响期满后的职务、级别调整), with its due date."""
    check_version(case, expected_version)
    _executing(case)
    errors: dict[str, list[str]] = {}
    note = _text(errors, data, "note", _("请写明执行事项（如工资档次调整、职务变动）"), limit=200)
    due_on = None
    try:
        due_on = date.fromisoformat(str(data.get("due_on") or "").strip())
    except ValueError:
        add_error(errors, "due_on", _("请填写完成期限（如 2026-03-01）"))
    if due_on is not None and due_on < case.decided_on:
        add_error(errors, "due_on", _("完成期限不能早于决定日期"))
    if errors:
        raise InvalidInput(errors)
    step = ExecutionStep(unit_id=case.unit_id, unit_path=case.unit_path, case_id=case.id, kind="effect", note=note,
                         due_on=due_on, position_order=len(case.execution))
    db.session.add(step)
    case.execution_due_on = max(case.execution_due_on or due_on, due_on)
    db.session.flush()
    db.session.expire(case, ["execution"])
    audit("case.execution_step_add", unit_id=case.unit_id, object_type="cases", object_id=case.id,
          detail={"due_on": due_on.isoformat()})
    refresh_overdue(_owner(case))
    return step


def complete_execution_step(case: Case, step: ExecutionStep, data: dict, *,
                            expected_version: int | None = None) -> None:
    """A step done, with its date and evidence (送达回证, 档案接收回执 …); the last one makes it 执行到位."""
    _executing(case)
    check_version(step, expected_version)
    if step.case_id != case.id:
        raise InvalidInput({"_schema": [_("该执行事项不属于本案")]})
    if step.done_on is not None:
        raise Conflict(_("该执行事项已完成"))
    errors: dict[str, list[str]] = {}
    done_on = _day(errors, data, "done_on", _("完成日期"), not_before=case.decided_on)
    evidence = _text(errors, data, "evidence", _("请填写执行情况或凭证（如送达回证、档案接收回执）"), limit=1000)
    if errors:
        raise InvalidInput(errors)
    step.done_on, step.evidence, step.done_by_id = done_on, evidence, context.current().account_id
    owner = _owner(case)
    db.session.flush()
    inbox.close("cases", case.id, unit_id=owner.id, key_prefix=f"case:{case.id}:exec:{step.id}:")
    audit("case.execution_step_done", unit_id=owner.id, object_type="cases", object_id=case.id,
          detail={"kind": step.kind, "done_on": done_on.isoformat()})
    db.session.expire(case, ["execution"])
    if all(s.done_on is not None for s in case.execution):
        case.executed_on = max(s.done_on for s in case.execution)
        CASE_FLOW.apply(case, "conclude", detail={"executed_on": case.executed_on.isoformat()})
        _count(owner, "open", -1)
        _count(owner, "executions.open", -1)
        inbox.close("cases", case.id, unit_id=owner.id, key_prefix=f"case:{case.id}:")
        county = review_unit_of(owner)
        if county.id != owner.id:
            inbox.close("cases", case.id, unit_id=county.id, key_prefix=f"case:{case.id}:exec:")
            _unshare_file(case, WATCH_PURPOSE, _("处分执行到位"))
    refresh_overdue(owner)


# ---------------------------------------------------------------- deadlines, figures


def _review_overdue(today: date):
    return (Case.state == "in_review") & (Case.review_due_on < today)


def _late_step(today: date):
    return exists().where(ExecutionStep.case_id == Case.id, ExecutionStep.done_on.is_(None),
                          ExecutionStep.due_on < today)


def _execution_overdue(today: date):
    return (Case.state == "executing") & _late_step(today)


def refresh_overdue(unit: Unit, today: date | None = None) -> None:
    """The unit's ``cases.reviews.overdue`` and ``cases.executions.overdue``: time-based, recounted (as the unit,
    whoever acts: a county reviewing counts the township's cases, not the ones shared to it)."""
    today = today or calendar.today()
    with context.writing_as(unit.id, unit.path):
        reviews = db.session.scalar(select(func.count(Case.id)).where(Case.unit_id == unit.id,
                                                                      _review_overdue(today)))
        executions = db.session.scalar(select(func.count(Case.id)).where(Case.unit_id == unit.id,
                                                                         _execution_overdue(today)))
    tenancy_ops.set_stat(unit, "cases.reviews.overdue", reviews)
    tenancy_ops.set_stat(unit, "cases.executions.overdue", executions)


def scan_overdue(today: date) -> dict[str, int]:
    """The periodic scan (maintenance): a review past its deadline warns the reviewing unit's reviewers, and
    ``ESCALATE_AFTER`` working days later its leader (like supervision items); an execution step past its due
    date warns the case's handler (else its leaders) and the county above (which then watches the case through a
    read-only share until the execution is done). Once per deadline; then the figures, recounted."""
    posted = {"review_overdue": 0, "review_escalated": 0, "execution_overdue": 0, "county_warned": 0}
    for case in db.session.scalars(select(Case).where(_review_overdue(today)).order_by(Case.id)):
        owner, reviewer = _owner(case), db.session.get(Unit, case.review_unit_id)
        review = current_review(case)
        about = owner.name if owner.id != reviewer.id else ""
        if inbox.post(reviewer, f"case:{case.id}:review:{case.review_round}:overdue", kind=InboxKind.OVERDUE,
                      object_type="cases", object_id=case.id, due_on=case.review_due_on, roles=REVIEWERS,
                      title=_("审理逾期：%(n)s%(u)s", n=case.number, u=f"（{about}）" if about else "")):
            posted["review_overdue"] += 1
            review.escalation = max(review.escalation, 1)
        if (calendar.workdays_between(case.review_due_on, today) >= ESCALATE_AFTER
                and inbox.post(reviewer, f"case:{case.id}:review:{case.review_round}:escalate",
                               kind=InboxKind.ESCALATION, object_type="cases", object_id=case.id,
                               due_on=case.review_due_on, roles=LEADERS,
                               title=_("案件审理逾期未办结：%(n)s%(u)s，请督促", n=case.number,
                                       u=f"（{about}）" if about else ""))):
            posted["review_escalated"] += 1
            review.escalation = 2
    late = db.session.execute(select(Case, ExecutionStep).join(ExecutionStep, ExecutionStep.case_id == Case.id).where(
        Case.state == "executing", ExecutionStep.done_on.is_(None), ExecutionStep.due_on < today)
        .order_by(Case.id, ExecutionStep.position_order)).all()
    for case, step in late:
        owner = _owner(case)
        posted["execution_overdue"] += inbox.post(
            owner, f"case:{case.id}:exec:{step.id}:overdue", kind=InboxKind.OVERDUE, object_type="cases",
            object_id=case.id, due_on=step.due_on, account_id=case.handler_id,
            roles=() if case.handler_id else LEADERS,
            title=_("处分执行逾期：%(n)s %(k)s", n=case.number, k=step.kind_label if step.kind != "effect" else step.note))
        county = review_unit_of(owner)
        if county.id != owner.id and not watched(case):
            _share_file(case, owner, county, WATCH_PURPOSE)
        posted["county_warned"] += inbox.post(
            county, f"case:{case.id}:exec:{step.id}:{'county' if county.id != owner.id else 'leader'}",
            kind=InboxKind.ESCALATION, object_type="cases", object_id=case.id, due_on=step.due_on, roles=LEADERS,
            title=_("%(u)s处分执行逾期：%(n)s", u=owner.name, n=case.number))
    units = set(db.session.scalars(select(Case.unit_id).where(or_(_review_overdue(today),
                                                                   _execution_overdue(today)))))
    units |= set(db.session.scalars(select(UnitStat.unit_id).where(
        UnitStat.metric.in_(("cases.reviews.overdue", "cases.executions.overdue")), UnitStat.period == "",
        UnitStat.value != 0)))
    for unit_id in sorted(units):
        refresh_overdue(db.session.get(Unit, unit_id), today)
    return posted


def recount(unit: Unit, today: date) -> dict[tuple[str, str], int]:
    """The unit's case figures counted from its records: what the stats rows must hold (the nightly reconcile)."""
    figures: Counter = Counter()

    def dated(metric: str, day: date) -> None:
        figures[(f"cases.{metric}", "")] += 1
        figures[(f"cases.{metric}", day.isoformat())] += 1

    rows = db.session.execute(select(Case.id, Case.state, Case.opened_on, Case.self_handled, Case.review_due_on,
                                     Case.decided_on, Case.sanction, Case.form).where(Case.unit_id == unit.id))
    late = set(db.session.scalars(select(Case.id).where(Case.unit_id == unit.id, _execution_overdue(today))))
    for case_id, state, opened_on, self_handled, review_due_on, decided_on, sanction, form in rows:
        dated("opened", opened_on)
        if self_handled:
            dated("self_handled", opened_on)
        if state in OPEN:
            figures[("cases.open", "")] += 1
        if state == "in_review":
            figures[("cases.in_review", "")] += 1
            if review_due_on is not None and review_due_on < today:
                figures[("cases.reviews.overdue", "")] += 1
        if decided_on is not None:
            dated("decided", decided_on)
            dated(f"sanction.{sanction}", decided_on)
            if form:
                dated(f"form.{form}", decided_on)
        if state == "executing":
            figures[("cases.executions.open", "")] += 1
            figures[("cases.executions.overdue", "")] += case_id in late
    names = {"agree": "reviews.passed", "send_back": "reviews.sent_back", "change": "reviews.changed"}
    for opinion, reviewed_on in db.session.execute(select(CaseReview.opinion, CaseReview.reviewed_on).where(
            CaseReview.case_unit_id == unit.id, CaseReview.opinion.is_not(None))):
        dated(names[opinion], reviewed_on)
    return with_coarser_keys(figures)
