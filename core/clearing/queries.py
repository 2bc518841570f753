"""Reads of clearing names: the loaders of a record for a request (its own, or a case shared to the unit) and
the steps the acting account may take on a case (the pages and the API alike), the township queue with its
filters, the pool, batches, a person's file."""
from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import selectinload

from core import calendar
from core.clearing.models import (METHOD_LABELS, PRIORITY_LABELS, SUBJECT_LABELS, ClearingBatch, ClearingCandidate,
                                  ClearingCase, ClearingVisit, Priority, SubjectKind, name_key)
from core.clearing.workflow import (CASE_FLOW, CROSS_HANDLE_STEPS, ESCALATED_ONLY_STEPS, HIGHER_REVIEW_STEPS,
                                    NOT_WHEN_ESCALATED, OPEN, STAGE_LABELS, STAGES, STEP_ACTIONS, stage_of)
from core.extensions import db
from core.handlers.queries import resolved_handler, where_handler
from core.petitions.models import Petition
from core.petitions.workflow import OPEN as PETITION_OPEN
from tenants.access import Action, can, deny, ensure
from tenants.models import Share, Unit
from tenants.queries import active_shares
from tenants.scoping import load_scoped
from tenants.workbench import PANEL_ROWS, Row, flag_of, window


# ---------------------------------------------------------------- loaders and steps (the pages and the API alike)


def case_reader(unit: Unit, account) -> Action:
    """What reading a case asks of the account: the unit's clearing role, else the higher unit's review role."""
    return Action.CLEARING_READ if can(account, Action.CLEARING_READ, unit) else Action.CLEARING_REVIEW_ESCALATED


def load_case(case_id, unit: Unit, account, *, own: bool = False) -> ClearingCase:
    """The unit's own case, or one shared to it (escalated review, registered supervision); else 404.
    ``own``: the unit's own case only (what only its owner issues, the notice)."""
    return load_scoped(ClearingCase, case_id, unit=unit, account=account, action=case_reader(unit, account), own=own)


def load_own(model, object_id, unit: Unit, account, action: Action = Action.CLEARING_READ):
    """A record of the acting unit itself (never one shared to it, nor the city's inherited list); else 404."""
    return load_scoped(model, object_id, unit=unit, account=account, action=action, own=True)


# What a share of another unit's case lets its grantee do: the higher unit's review (提级审核), and a
# cross-handler's named steps (交叉办案); each with the role the acting account needs in its own unit.
SHARE_STEPS = {
    "escalated_review": (HIGHER_REVIEW_STEPS, Action.CLEARING_REVIEW_ESCALATED),
    "cross_handle": (CROSS_HANDLE_STEPS, Action.CLEARING_HANDLE),
}


def steps_through_shares(case: ClearingCase, unit: Unit, account) -> dict[str, Share]:
    """The steps ``account`` may take at ``unit`` on another unit's case through its active shares, whatever the
    case's state, each with the share it goes through (the one place views and API decide it)."""
    steps: dict[str, Share] = {}
    for share in active_shares("clearing_cases", case.id):
        names, action = SHARE_STEPS.get(share.purpose, ((), None))
        if action is None or not can(account, action, unit):
            continue
        for name in names:
            if name in share.allowed_transitions:
                steps.setdefault(name, share)
    return steps


def allowed_steps(case: ClearingCase, unit: Unit, account) -> list[str]:
    """The steps the account may take on the case now: by role at the owner, by share elsewhere."""
    available = [t.name for t in CASE_FLOW.available(case)]
    if case.unit_id == unit.id:
        # A sensitive case is reviewed above, its plan approved above too.
        available = [s for s in available
                     if s not in (NOT_WHEN_ESCALATED if case.sensitive else ESCALATED_ONLY_STEPS)]
        return [s for s in available if s in STEP_ACTIONS and can(account, STEP_ACTIONS[s], unit)]
    through = steps_through_shares(case, unit, account)
    return [s for s in available if s in through]


def ensure_step(case: ClearingCase, step: str, unit: Unit, account) -> Share | None:
    """404 for a step the account may never take here; a step the state forbids now is 409 (take_step).
    Returns the share the step goes through (None at the owner)."""
    if case.unit_id == unit.id:
        action = STEP_ACTIONS.get(step)
        if action is None:
            deny(Action.CLEARING_DECIDE, unit=unit, object_type="clearing_cases", object_id=case.id)
        ensure(account, action, unit, object_type="clearing_cases", object_id=case.id)
        return None
    share = steps_through_shares(case, unit, account).get(step)
    if share is None:
        deny(Action.CLEARING_HANDLE, unit=unit, object_type="clearing_cases", object_id=case.id)
    return share


# ---------------------------------------------------------------- the township queue


@dataclass
class QueueFilter:
    stage: str = ""  # one of workflow.STAGES, or "" for every open case
    priority: str = ""  # a Priority flag
    batch_id: int | None = None
    overdue: bool = False
    q: str = ""  # a person's name or a case number (part of)
    include_closed: bool = False
    handler: str = ""  # 承办人: an account id, "none" (nobody's yet), or "" (anyone's); "me" arrives as one's id

    @classmethod
    def from_args(cls, args) -> QueueFilter:
        return cls(stage=args.get("stage", "") if args.get("stage", "") in STAGES else "",
                   priority=args.get("priority", ""), batch_id=args.get("batch_id", type=int),
                   overdue=args.get("overdue") in ("1", "true", "on"), q=(args.get("q") or "").strip()[:50],
                   include_closed=args.get("closed") in ("1", "true", "on"), handler=resolved_handler(args))


def queue_query(unit: Unit, f: QueueFilter, today: date | None = None):
    """The unit's cases, soonest deadline first."""
    today = today or calendar.today()
    stmt = select(ClearingCase).where(ClearingCase.unit_id == unit.id)
    if f.stage:
        stmt = stmt.where(ClearingCase.state.in_(STAGES[f.stage]))
    elif not f.include_closed:
        stmt = stmt.where(ClearingCase.state.in_(OPEN))
    if f.priority:
        # JSON list of flags; a LIKE on its text form works the same on SQLite and PostgreSQL.
        stmt = stmt.where(cast(ClearingCase.priority_flags, String).like(f'%"{f.priority}"%'))
    if f.batch_id:
        stmt = stmt.where(ClearingCase.batch_id == f.batch_id)
    stmt = where_handler(stmt, ClearingCase, f.handler)
    if f.overdue:
        stmt = stmt.where(ClearingCase.state.in_(OPEN), ClearingCase.due_on < today)
    if f.q:
        # The name is sealed: found by its exact keyed hash; the number by any part of it.
        stmt = stmt.where(or_(ClearingCase.person_name_key == name_key(f.q),
                              ClearingCase.number.contains(f.q, autoescape=True)))
    # NULLS LAST rather than "due_on IS NULL" first: an index can serve it (ix_clearing_cases_open_due).
    return stmt.order_by(ClearingCase.due_on.asc().nulls_last(), ClearingCase.id)


def queue_page(unit: Unit, f: QueueFilter, page: int, per_page: int) -> tuple[list[ClearingCase], int]:
    stmt = queue_query(unit, f)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.options(selectinload(ClearingCase.batch))
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def ledger_filter(args) -> QueueFilter:
    """The ledger's filter: the queue's, but closed cases too unless ``open_only=1``."""
    f = QueueFilter.from_args(args)
    f.include_closed = args.get("open_only") != "1"
    return f


def ledger_header() -> list[str]:
    """The columns of 澄清正名台账 (a clearing case holds no informant)."""
    return [_("编号"), _("来源"), _("澄清对象"), _("对象类型"), _("职务"), _("工作单位"), _("反映问题"), _("核查结论"),
            _("优先情形"), _("批次"), _("当前环节"), _("期限"), _("澄清方式"), _("澄清日期"), _("反馈日期"),
            _("备案日期"), _("回访完成")]


def ledger_rows(unit: Unit, f: QueueFilter) -> Iterator[list]:
    """The ledger's rows for the queue's filter, streamed (the page's ledger.xlsx and reporting's exports)."""
    batch_names = {b.id: b.name for b in batches(unit)}
    green, pool_origin = _("绿色通道"), _("备选库")
    stmt = queue_query(unit, f).options(selectinload(ClearingCase.visits)).execution_options(yield_per=500)
    for case in db.session.scalars(stmt):
        yield [
            case.number, green if case.origin == "green_channel" else pool_origin, case.person_name,
            str(SUBJECT_LABELS[SubjectKind(case.subject_kind)]), case.person_position, case.person_work_unit,
            case.accusation, case.finding, "、".join(str(PRIORITY_LABELS[Priority(p)]) for p in case.priority_flags),
            batch_names.get(case.batch_id, ""), CASE_FLOW.label(case.state),
            case.due_on if case.state in OPEN else None,
            METHOD_LABELS.get(case.plan["method"], "") if case.plan else "",
            case.cleared_on, (case.feedback or {}).get("person_on", ""), case.filed_on,
            f"{sum(v.done for v in case.visits)}/{len(case.visits)}" if case.visits else "",
        ]


# ---------------------------------------------------------------- the unit's queue: petitions beside cases

# The queue's kinds: everything, petitions only, clearing cases only.
QUEUE_KINDS = ("all", "petitions", "clearing")
# A petition waits for the unit while it is registered, in verification, or concluded awaiting feedback.
PETITION_QUEUE_STATES = ("registered", "handling", "concluded")


def clearing_only(f: QueueFilter) -> bool:
    """Stage, priority and batch describe clearing cases: with any of them set no petition matches."""
    return bool(f.stage or f.priority or f.batch_id)


def petition_queue_query(unit: Unit, f: QueueFilter, today: date | None = None):
    """The unit's open petitions, soonest deadline first (the overdue and search filters apply)."""
    today = today or calendar.today()
    stmt = select(Petition).where(Petition.unit_id == unit.id, Petition.state.in_(PETITION_QUEUE_STATES))
    if f.overdue:
        stmt = stmt.where(Petition.state.in_(PETITION_OPEN), Petition.due_on < today)
    stmt = where_handler(stmt, Petition, f.handler)
    if f.q:
        stmt = stmt.where(or_(Petition.accused_name_key == name_key(f.q),
                              Petition.number.contains(f.q, autoescape=True)))
    return stmt.order_by(Petition.due_on.asc().nulls_last(), Petition.id)


def mixed_queue_page(unit: Unit, f: QueueFilter, page: int, per_page: int, *, kind: str
                     ) -> tuple[list[tuple[str, object]], int]:
    """One page of the queue of ``kind``: ("clearing", case) and ("petition", petition) rows by due date.

    Each kind comes from its own indexed query, cut at the page's end and merged here; a page deep
    in the queue costs more, the first pages (where the work is) stay as cheap as the clearing queue.
    """
    if kind == "clearing":
        cases, total = queue_page(unit, f, page, per_page)
        return [("clearing", case) for case in cases], total
    kinds = []
    if kind == "all":
        kinds.append(("clearing", queue_query(unit, f).options(selectinload(ClearingCase.batch))))
    if kind in ("all", "petitions") and not clearing_only(f):
        kinds.append(("petition", petition_queue_query(unit, f)))
    total, streams, end = 0, [], page * per_page
    for name, stmt in kinds:
        total += db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        streams.append([(name, row) for row in db.session.scalars(stmt.limit(end))])

    def soonest_first(entry):
        name, row = entry
        return (row.due_on is None, row.due_on or date.max, name, row.id)

    merged = list(heapq.merge(*streams, key=soonest_first))
    return merged[(page - 1) * per_page:end], total


def pool(unit: Unit) -> list[ClearingCandidate]:
    """The pool, priority cases first (the seed: 优先澄清件), then the oldest conclusions."""
    return list(db.session.scalars(select(ClearingCandidate).where(
        ClearingCandidate.unit_id == unit.id, ClearingCandidate.state == "pool")
        .order_by(ClearingCandidate.priority.desc(), ClearingCandidate.concluded_on, ClearingCandidate.id)))


def batches(unit: Unit) -> list[ClearingBatch]:
    return list(db.session.scalars(select(ClearingBatch).where(ClearingBatch.unit_id == unit.id)
                                   .order_by(ClearingBatch.year.desc(), ClearingBatch.quarter.desc())))


def batch_progress(batch: ClearingBatch) -> dict:
    """Where a batch stands: candidates still to screen, cases by state, the share cleared."""
    waiting = db.session.scalar(select(func.count(ClearingCandidate.id)).where(
        ClearingCandidate.batch_id == batch.id, ClearingCandidate.state == "pool"))
    set_aside = db.session.scalar(select(func.count(ClearingCandidate.id)).where(
        ClearingCandidate.batch_id == batch.id, ClearingCandidate.state == "unsuitable"))
    by_state = dict(db.session.execute(select(ClearingCase.state, func.count(ClearingCase.id))
                                       .where(ClearingCase.batch_id == batch.id).group_by(ClearingCase.state)).all())
    cleared = sum(n for state, n in by_state.items() if state in ("cleared", "fed_back", "filed"))
    planned = waiting + sum(by_state.values())
    return {"waiting": waiting, "set_aside": set_aside, "by_state": by_state, "cleared": cleared,
            "planned": planned, "percent": round(100 * cleared / planned) if planned else 0}


def person_file(unit: Unit, key: str) -> tuple[list[ClearingCase], list[ClearingVisit]]:
    """一人一档 / 廉政档案: every clearing of one person in the unit, and every visit to them."""
    cases = list(db.session.scalars(select(ClearingCase).where(ClearingCase.unit_id == unit.id,
                                                               ClearingCase.person_key == key)
                                    .order_by(ClearingCase.applied_on, ClearingCase.id)))
    visits = list(db.session.scalars(select(ClearingVisit).where(
        ClearingVisit.case_id.in_([c.id for c in cases])).order_by(ClearingVisit.case_id, ClearingVisit.id)))
    return cases, visits


def visits_due(unit: Unit) -> list[ClearingVisit]:
    return list(db.session.scalars(select(ClearingVisit).where(ClearingVisit.unit_id == unit.id,
                                                               ClearingVisit.visited_on.is_(None))
                                   .order_by(ClearingVisit.due_on, ClearingVisit.id)))


def escalated_to(unit: Unit) -> list[ClearingCase]:
    """Cases of units below waiting for this unit's review 提级审核 (visible through their shares)."""
    return list(db.session.scalars(select(ClearingCase).where(ClearingCase.reviewing_unit_id == unit.id,
                                                              ClearingCase.state.in_(("escalated", "plan_escalated")))
                                   .order_by(ClearingCase.due_on, ClearingCase.id)))


def candidate_of_petition(petition) -> ClearingCandidate | None:
    """The pool's candidate a petition concluded unfounded put there, for the petition page's link to it."""
    return db.session.scalar(select(ClearingCandidate).where(ClearingCandidate.petition_id == petition.id))


# ---------------------------------------------------------------- the workbench's panels (tenants.workbench)

# The step that moves a case on from each state (a sensitive case is reviewed and its plan approved above).
NEXT_STEPS = {"applied": "assess", "assessed": "review", "reviewed": "submit_plan", "plan_submitted": "approve_plan",
              "plan_approved": "clear", "cleared": "feedback", "fed_back": "file",
              "escalated": "higher_review", "plan_escalated": "higher_approve_plan"}
SENSITIVE_STEPS = {"review": "escalate", "approve_plan": "escalate_plan"}
# What waits for a leader's decision: at the owner (复核, 方案审批) and at the reviewing unit above (提级审核).
DECISION_STATES = ("assessed", "plan_submitted")
HIGHER_DECISION_STATES = ("escalated", "plan_escalated")


def _next_step(r, unit: Unit, account) -> tuple[str, str] | None:
    step = NEXT_STEPS.get(r.state)
    if r.sensitive:
        step = SENSITIVE_STEPS.get(step, step)
    if step is None:
        return None
    if r.unit_id == unit.id:
        allowed = step in STEP_ACTIONS and can(account, STEP_ACTIONS[step], unit)
    else:  # the higher unit's review goes through the share (the case page checks it again)
        allowed = step in HIGHER_REVIEW_STEPS and can(account, Action.CLEARING_REVIEW_ESCALATED, unit)
    if not allowed:
        return None
    return CASE_FLOW.step_label(step), url_for("clearing.case", unit_id=unit.id, case_id=r.id) + f"#step-{step}"


def _case_rows(stmt, unit: Unit, account) -> list[Row]:
    w = window()
    return [Row(label=r.number, href=url_for("clearing.case", unit_id=unit.id, case_id=r.id),
                text=str(STAGE_LABELS.get(stage_of(r.state), "")), state=CASE_FLOW.label(r.state), due_on=r.due_on,
                flag=flag_of(r.due_on, r.created_at, w), step=_next_step(r, unit, account), key=("clearing_cases", r.id))
            for r in db.session.execute(stmt)]


_CASE_COLUMNS = (ClearingCase.id, ClearingCase.unit_id, ClearingCase.number, ClearingCase.state, ClearingCase.due_on,
                 ClearingCase.created_at, ClearingCase.sensitive)


def workbench_mine(unit: Unit, account) -> list[Row]:
    """我承办的澄清件: the step at hand due within 3 working days, overdue, or the case new (one query)."""
    w = window()
    return _case_rows(select(*_CASE_COLUMNS).where(
        ClearingCase.unit_id == unit.id, ClearingCase.handler_id == account.id, ClearingCase.state.in_(OPEN),
        or_(ClearingCase.due_on <= w.horizon, ClearingCase.created_at >= w.since))
        .order_by(ClearingCase.due_on.asc().nulls_last(), ClearingCase.id).limit(PANEL_ROWS), unit, account)


def workbench_decisions(unit: Unit, account) -> list[Row]:
    """待审批的澄清件: the unit's cases at 复核 or 方案审批, and cases of units below escalated to it (one query)."""
    return _case_rows(select(*_CASE_COLUMNS).where(or_(
        and_(ClearingCase.unit_id == unit.id, ClearingCase.state.in_(DECISION_STATES)),
        and_(ClearingCase.reviewing_unit_id == unit.id, ClearingCase.state.in_(HIGHER_DECISION_STATES))))
        .order_by(ClearingCase.due_on.asc().nulls_last(), ClearingCase.id).limit(PANEL_ROWS), unit, account)
