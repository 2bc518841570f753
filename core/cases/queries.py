"""Reads of cases for the pages and the API: the loaders (the unit's own case, or one shared to it for the review or
the watch of a late execution), the steps the acting account may take (the pages and the API alike), the filtered
list, the review queue of a reviewing unit, the rounds of a case's review and the case a lead became."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, literal, or_, select

from core import calendar
from core.cases.models import Case, CasePerson, CaseReview, ExecutionStep
from core.cases.workflow import (CASE_FLOW, OPEN, OPINION_LABELS, REVIEW_PURPOSE, REVIEW_STEPS, STEP_ACTIONS, STEPS,
                                 WATCH_PURPOSE)
from core.crypto import name_key
from core.extensions import db
from core.handlers.queries import resolved_handler, where_handler
from core.leads.models import Lead
from core.leads.queries import load_lead
from tenants.access import Action, can, deny, ensure
from tenants.models import Share, Unit
from tenants.queries import active_shares
from tenants.scoping import load_scoped
from tenants.workbench import PANEL_ROWS, Row, flag_of, window


# Reading another unit's case through a share asks what the share's purpose asks: the review is the reviewers'
# (and the leader's, to whom an overdue review escalates); the watch of a late execution is the leaders'. A county's
# officer or case admin reads no township's case file.
READ_THROUGH = {REVIEW_PURPOSE: (Action.CASES_REVIEW, Action.CASES_DECIDE), WATCH_PURPOSE: (Action.CASES_DECIDE,)}


def may_read_through_shares(case: Case, unit: Unit, account) -> bool:
    return any(can(account, action, unit, target=unit) for share in active_shares("cases", case.id)
               for action in READ_THROUGH.get(share.purpose, ()))


def load_case(case_id, unit: Unit, account) -> Case:
    """The unit's own case, or one shared to it (the county's review, the watch of a late execution) for the roles
    its purpose names; else 404 (a sibling township, another county, the province's analyst)."""
    case = load_scoped(Case, case_id, unit=unit, account=account, action=Action.CASES_READ)
    if case.unit_id != unit.id and not may_read_through_shares(case, unit, account):
        deny(Action.CASES_READ, unit=unit, object_type="cases", object_id=case.id)
    return case


def load_own(case_id, action: Action, unit: Unit, account) -> Case:
    """A case of the acting unit itself, for what only its owner does (the file, the execution); else 404."""
    return load_scoped(Case, case_id, unit=unit, account=account, action=action, own=True)


def load_lead_to_open(lead_id, unit: Unit, account) -> Lead:
    """One of the unit's own leads, for an account that handles cases here; else 404."""
    ensure(account, Action.CASES_HANDLE, unit, target=unit)
    return load_lead(lead_id, Action.LEADS_READ, unit, account)


def load_execution_step(case: Case, step_id, unit: Unit) -> ExecutionStep:
    """One step of the (own, already loaded) case's execution; else 404."""
    step = next((s for s in case.execution if str(s.id) == str(step_id)), None)
    if step is None:
        deny(Action.CASES_HANDLE, unit=unit, object_type="case_execution_steps", object_id=step_id)
    return step


def steps_through_shares(case: Case, unit: Unit, account) -> dict[str, Share]:
    """The review steps ``account`` may take at ``unit`` on another unit's case through its review share."""
    steps: dict[str, Share] = {}
    if not can(account, Action.CASES_REVIEW, unit):
        return steps
    for share in active_shares("cases", case.id):
        if share.purpose != REVIEW_PURPOSE:
            continue
        for name in REVIEW_STEPS:
            if name in share.allowed_transitions:
                steps.setdefault(name, share)
    return steps


def _own_step_allowed(case: Case, step: str, unit: Unit, account) -> bool:
    if step in REVIEW_STEPS and case.review_unit_id != unit.id:
        return False  # a township's case is reviewed by the county, never by itself
    return can(account, STEP_ACTIONS[step], unit)


def allowed_steps(case: Case, unit: Unit, account) -> list[str]:
    """The steps the account may take on the case now: by role at the owner, by the review share elsewhere."""
    available = {t.name for t in CASE_FLOW.available(case)}
    if "decide_none" in available:
        available.add("decide")
    available = [s for s in STEPS if s in available]
    if case.unit_id == unit.id:
        return [s for s in available if _own_step_allowed(case, s, unit, account)]
    through = steps_through_shares(case, unit, account)
    return [s for s in available if s in through]


def ensure_step(case: Case, step: str, unit: Unit, account) -> Share | None:
    """404 for a step the account may never take here; a step the state forbids now is 409 (take_step).
    Returns the share the step goes through (None at the owner)."""
    if case.unit_id == unit.id:
        if step not in STEP_ACTIONS or not _own_step_allowed(case, step, unit, account):
            deny(STEP_ACTIONS.get(step, Action.CASES_HANDLE), unit=unit, object_type="cases", object_id=case.id)
        return None
    share = steps_through_shares(case, unit, account).get(step)
    if share is None:
        deny(Action.CASES_REVIEW, unit=unit, object_type="cases", object_id=case.id)
    return share


def load_for_step(case_id, step: str, unit: Unit, account) -> tuple[Case, Share | None]:
    case = load_case(case_id, unit, account)
    return case, ensure_step(case, step, unit, account)


def reviews_of(case: Case) -> list[CaseReview]:
    """The rounds of the case's review, first first (the owner reads them as counterparty, the reviewer owns them)."""
    return list(db.session.scalars(select(CaseReview).where(CaseReview.case_id == case.id)
                                   .order_by(CaseReview.round)))


def review_queue(unit: Unit, *, waiting: bool = True, limit: int = 200) -> list[tuple[CaseReview, str]]:
    """The reviewing unit's rounds: waiting for its opinion (soonest deadline first), or answered (newest first);
    each with the name of the case's unit."""
    stmt = select(CaseReview, Unit.name).join(Unit, Unit.id == CaseReview.case_unit_id).where(
        CaseReview.unit_id == unit.id)
    if waiting:
        stmt = stmt.where(CaseReview.opinion.is_(None)).order_by(CaseReview.due_on, CaseReview.id)
    else:
        stmt = stmt.where(CaseReview.opinion.is_not(None)).order_by(CaseReview.reviewed_on.desc(),
                                                                   CaseReview.id.desc())
    return [(review, name) for review, name in db.session.execute(stmt.limit(limit))]


def case_of_lead(lead) -> Case | None:
    return db.session.scalar(select(Case).where(Case.lead_id == lead.id))


def lead_of(case: Case) -> Lead | None:
    return db.session.scalar(select(Lead).where(Lead.id == case.lead_id))


@dataclass
class CaseFilter:
    state: str = ""
    q: str = ""  # part of the number, or a person's full name
    overdue: bool = False  # review or execution past its deadline
    self_handled: bool = False
    handler: str = ""
    open: bool = False

    @classmethod
    def from_args(cls, args) -> CaseFilter:
        state = args.get("state", "")
        yes = ("1", "true", "on")
        return cls(state=state if state in CASE_FLOW.states else "", q=(args.get("q") or "").strip()[:50],
                   overdue=args.get("overdue") in yes, self_handled=args.get("self_handled") in yes,
                   handler=resolved_handler(args), open=args.get("open") in yes)

    def as_args(self) -> dict:
        return {k: v for k, v in (("state", self.state), ("q", self.q), ("overdue", "1" if self.overdue else ""),
                                  ("self_handled", "1" if self.self_handled else ""), ("handler", self.handler),
                                  ("open", "1" if self.open else "")) if v}


def overdue_clause(today: date):
    late_step = exists().where(ExecutionStep.case_id == Case.id, ExecutionStep.done_on.is_(None),
                               ExecutionStep.due_on < today)
    return or_((Case.state == "in_review") & (Case.review_due_on < today), (Case.state == "executing") & late_step)


def list_query(unit: Unit, f: CaseFilter, today: date | None = None):
    """The unit's own cases, newest first."""
    today = today or calendar.today()
    stmt = select(Case).where(Case.unit_id == unit.id)
    if f.state:
        stmt = stmt.where(Case.state == f.state)
    if f.open:
        stmt = stmt.where(Case.state.in_(OPEN))
    if f.overdue:
        stmt = stmt.where(overdue_clause(today))
    if f.self_handled:
        stmt = stmt.where(Case.self_handled.is_(True))
    stmt = where_handler(stmt, Case, f.handler)
    if f.q:
        named = exists().where(CasePerson.case_id == Case.id, CasePerson.name_key == name_key(f.q))
        stmt = stmt.where(or_(Case.number.contains(f.q, autoescape=True), named))
    return stmt.order_by(Case.year.desc(), Case.seq.desc())


# ---------------------------------------------------------------- the workbench's panels (tenants.workbench)


def _rows(items, unit: Unit, step_of) -> list[Row]:
    w = window()
    return [Row(label=number, href=url_for("cases.show", unit_id=unit.id, case_id=case_id), text=text,
                state=CASE_FLOW.label(state), due_on=due_on, flag=flag_of(due_on, created_at, w),
                step=step_of(case_id, state), key=("cases", case_id))
            for case_id, number, text, state, due_on, created_at in items]


def workbench_reviews(unit: Unit, account) -> list[Row]:
    """待审理的案件: the rounds waiting for this unit's review (a township's through its share), soonest first."""
    items = db.session.execute(select(CaseReview.case_id, CaseReview.case_number, Unit.name, literal("in_review"),
                                      CaseReview.due_on, literal(None)).join(Unit, Unit.id == CaseReview.case_unit_id)
                               .where(CaseReview.unit_id == unit.id, CaseReview.opinion.is_(None))
                               .order_by(CaseReview.due_on, CaseReview.id).limit(PANEL_ROWS)).all()
    return _rows(items, unit, lambda case_id, state: (str(_l("出具审理意见")), url_for(
        "cases.show", unit_id=unit.id, case_id=case_id) + "#step-review_agree"))


def workbench_decisions(unit: Unit, account) -> list[Row]:
    """待作出决定的案件: the unit's cases the review agreed."""
    items = db.session.execute(select(Case.id, Case.number, Case.summary, Case.state, Case.review_due_on,
                                      Case.created_at).where(Case.unit_id == unit.id, Case.state == "agreed")
                               .order_by(Case.id).limit(PANEL_ROWS)).all()
    return _rows(items, unit, lambda case_id, state: (CASE_FLOW.step_label("decide"), url_for(
        "cases.show", unit_id=unit.id, case_id=case_id) + "#step-decide"))


def workbench_mine(unit: Unit, account) -> list[Row]:
    """我承办的案件: open cases the account handles, in review or executing ones included."""
    items = db.session.execute(select(Case.id, Case.number, Case.summary, Case.state,
                                      func.coalesce(Case.review_due_on, Case.execution_due_on), Case.created_at)
                               .where(Case.unit_id == unit.id, Case.handler_id == account.id, Case.state.in_(OPEN))
                               .order_by(Case.id.desc()).limit(PANEL_ROWS)).all()
    return _rows(items, unit, lambda case_id, state: None)


# ---------------------------------------------------------------- the ledger (审查调查台账: the list's rows in xlsx)


def ledger_header() -> list[str]:
    return [_("案件编号"), _("立案日期"), _("线索编号"), _("被审查调查人"), _("职务"), _("级别"), _("是否党员"),
            _("案情摘要"), _("是否自办"), _("状态"), _("审理轮次"), _("最近审理意见"), _("处理意见或决定"),
            _("四种形态"), _("决定日期"), _("执行期限"), _("执行到位日期"), _("执行是否逾期")]


def ledger_rows(unit: Unit, f: CaseFilter, today: date | None = None):
    """The ledger's rows for the list's filter, streamed (the export registry's 审查调查台账): one row per case,
    its persons joined; the latest review opinion of each case read in one statement per batch."""
    today = today or calendar.today()
    yes, no = _("是"), _("否")
    stmt = list_query(unit, f, today).execution_options(yield_per=500)
    batch: list[Case] = []

    def flush(cases: list[Case]):
        latest = {}
        if cases:
            rows = db.session.execute(select(CaseReview.case_id, CaseReview.round, CaseReview.opinion).where(
                CaseReview.case_id.in_([c.id for c in cases]), CaseReview.opinion.is_not(None)))
            for case_id, round_, opinion in rows:
                if round_ >= latest.get(case_id, (0, None))[0]:
                    latest[case_id] = (round_, opinion)
        for c in cases:
            persons = c.persons
            opinion = latest.get(c.id, (0, None))[1]
            yield [c.number, c.opened_on, c.lead_number, "、".join(p.person_name for p in persons),
                   "、".join(p.person_position or "" for p in persons), "、".join(p.level_label for p in persons),
                   "、".join("" if p.party_member is None else (yes if p.party_member else no) for p in persons),
                   c.summary, yes if c.self_handled else no, c.state_label, c.review_round or "",
                   str(OPINION_LABELS[opinion]) if opinion else "", c.decision_label or c.proposal_label,
                   c.form_label, c.decided_on, c.execution_due_on, c.executed_on,
                   yes if c.execution_overdue(today) else ""]

    for case in db.session.scalars(stmt):
        batch.append(case)
        if len(batch) == 500:
            yield from flush(batch)
            batch = []
    yield from flush(batch)
