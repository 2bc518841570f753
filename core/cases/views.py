"""HTML pages of cases (审查调查): the unit's list (filters: state, overdue, self-handled, 我承办的), the review
queue of a reviewing unit (镇案县审: the townships' cases shared to it, and its own), the case page with its file,
review rounds, decision and execution, and the forms posting each step. A case opens from its lead's page."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import calendar
from core.cases import operations as ops
from core.cases import queries
from core.cases.models import Case
from core.cases.queries import load_case, load_execution_step, load_for_step, load_lead_to_open, load_own
from core.cases.workflow import (CASE_FLOW, CATEGORIES, EDITABLE, KINDS, OPEN, OPINION_LABELS, REVIEW_STEPS,
                                 STEP_KINDS)
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.leads.models import FORM_LABELS
from core.workflow import history
from tenants.access import Action, can, ensure
from tenants.queries import share_access_log
from tenants.scoping import may_open

bp = Blueprint("cases", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/cases")
PER_PAGE = 50
PARTY_LABELS = {"1": _l("中共党员"), "0": _l("非中共党员")}


def _labels() -> dict:
    return {"flow": CASE_FLOW, "OPEN": OPEN, "CATEGORIES": CATEGORIES, "KINDS": KINDS, "FORM_LABELS": FORM_LABELS,
            "STEP_KINDS": STEP_KINDS, "OPINION_LABELS": OPINION_LABELS, "PARTY_LABELS": PARTY_LABELS,
            "DUE_LABELS": calendar.DUE_STATE_LABELS, "due_state": calendar.due_state}


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.CASES_READ, unit, target=unit)
    f = queries.CaseFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    today = calendar.today()
    return render_template("cases/list.html", **_labels(), unit=unit, cases=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, today=today, f=f, args=f.as_args(),
                           may_review=can(current_user, Action.CASES_REVIEW, unit))


@bp.get("/reviews")
@login_required
def reviews(unit_id: int):
    """审理: the rounds waiting for this unit's review opinion, and the ones it answered."""
    unit = g.unit
    ensure(current_user, Action.CASES_REVIEW, unit, target=unit)
    return render_template("cases/reviews.html", **_labels(), unit=unit, today=calendar.today(),
                           waiting=queries.review_queue(unit), answered=queries.review_queue(unit, waiting=False))


@bp.post("/from-lead/<int:lead_id>")
@login_required
def from_lead(unit_id: int, lead_id: int):
    """立案: one of the unit's leads verified with 建议立案 opens a case here."""
    lead = load_lead_to_open(lead_id, g.unit, current_user)
    try:
        case = ops.open_from_lead(lead, g.unit, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("leads.show", unit_id=unit_id, lead_id=lead_id))
    flash(_("已立案：%(number)s", number=case.number), "success")
    return redirect(url_for("cases.show", unit_id=unit_id, case_id=case.id))


def _detail(case: Case, *, errors: dict | None = None, form=None, failed: str = ""):
    unit = g.unit
    own = case.unit_id == unit.id
    today = calendar.today()
    lead = queries.lead_of(case) if own else None
    return render_template(
        "cases/detail.html", **_labels(), unit=unit, case=case, own=own, today=today,
        steps=queries.allowed_steps(case, unit, current_user), reviews=queries.reviews_of(case),
        history=history("cases", case.id), errors=errors or {}, form=form or {}, failed=failed,
        may_edit=own and case.state in EDITABLE and can(current_user, Action.CASES_HANDLE, unit),
        may_execute=own and case.state == "executing" and can(current_user, Action.CASES_HANDLE, unit),
        lead=lead, may_read_lead=lead is not None and can(current_user, Action.LEADS_READ, unit),
        review_due=calendar.due_state(case.review_due_on, today) if case.state == "in_review"
        and case.review_due_on else None, execution_overdue=case.execution_overdue(today), REVIEW_STEPS=REVIEW_STEPS,
        share_log=share_access_log("cases", case.id, case.unit_id, CASE_FLOW.step_label) if own else None)


@bp.get("/<int:case_id>")
@login_required
def show(unit_id: int, case_id: int):
    return _detail(load_case(case_id, g.unit, current_user))


def _back(unit_id: int, case_id: int):
    return redirect(url_for("cases.show", unit_id=unit_id, case_id=case_id))


def _failed(case_id: int, exc: InvalidInput, failed: str):
    db.session.rollback()
    return _detail(load_case(case_id, g.unit, current_user), errors=exc.errors, form=request.form,
                   failed=failed), 422


def _sanction_fields(form) -> dict:
    """The page's one select of 处理意见 ("party:warning", "none") split into category and kind."""
    category, _sep, kind = (form.get("sanction") or "").partition(":")
    return {"findings": form.get("findings", ""), "category": category, "kind": kind, "form": form.get("form", ""),
            "reasons": form.get("reasons", "")}


@bp.post("/<int:case_id>/file")
@login_required
def update_file(unit_id: int, case_id: int):
    case = load_own(case_id, Action.CASES_HANDLE, g.unit, current_user)
    try:
        ops.update_file(case, _sanction_fields(request.form), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        return _failed(case_id, exc, "file")
    flash(_("已保存案卷"), "success")
    return _back(unit_id, case_id)


@bp.post("/<int:case_id>/investigation")
@login_required
def add_step(unit_id: int, case_id: int):
    case = load_own(case_id, Action.CASES_HANDLE, g.unit, current_user)
    try:
        ops.add_investigation_step(case, request.form.to_dict())
    except InvalidInput as exc:
        return _failed(case_id, exc, "investigation")
    flash(_("已记录审查调查措施"), "success")
    return _back(unit_id, case_id)


@bp.post("/<int:case_id>/steps/<any(submit, resubmit, review_agree, review_send_back, review_change, decide):step>")
@login_required
def step(unit_id: int, case_id: int, step: str):
    case, share = load_for_step(case_id, step, g.unit, current_user)
    try:
        ops.take_step(case, step, request.form.to_dict(), acting_unit=g.unit,
                      expected_version=request.form.get("version", type=int), share=share)
    except InvalidInput as exc:
        return _failed(case_id, exc, step)
    flash(_("已办理：%(s)s", s=CASE_FLOW.step_label(step)), "success")
    if share is not None:  # the round is answered: the share ends, back to the review queue
        return redirect(url_for("cases.reviews", unit_id=unit_id))
    return _back(unit_id, case_id)


@bp.post("/<int:case_id>/execution")
@login_required
def add_execution_step(unit_id: int, case_id: int):
    case = load_own(case_id, Action.CASES_HANDLE, g.unit, current_user)
    try:
        ops.add_execution_step(case, request.form.to_dict())
    except InvalidInput as exc:
        return _failed(case_id, exc, "execution")
    flash(_("已增加执行事项"), "success")
    return _back(unit_id, case_id)


@bp.post("/<int:case_id>/execution/<int:execution_step_id>")
@login_required
def complete_execution_step(unit_id: int, case_id: int, execution_step_id: int):
    case = load_own(case_id, Action.CASES_HANDLE, g.unit, current_user)
    step = load_execution_step(case, execution_step_id, g.unit)
    try:
        ops.complete_execution_step(case, step, request.form.to_dict(),
                                    expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        return _failed(case_id, exc, f"execution-{execution_step_id}")
    flash(_("已记录执行情况"), "success")
    return _back(unit_id, case_id)


# ---------------------------------------------------------------- what the lead's page shows (area.py install)


def lead_case_url(case: Case, unit, account) -> str | None:
    """The case's link on its lead's page, for an account that may open it (intake reads leads, not cases)."""
    if not may_open(account, Action.CASES_READ, unit, case):
        return None
    return url_for("cases.show", unit_id=unit.id, case_id=case.id)


def lead_open_url(lead, unit, account) -> str | None:
    """The button's action, where the account handles cases here and the lead was verified with 建议立案."""
    if lead.unit_id != unit.id or not ops.may_open_from(lead) or not can(account, Action.CASES_HANDLE, unit,
                                                                         target=unit):
        return None
    return url_for("cases.from_lead", unit_id=unit.id, lead_id=lead.id)


@register_link("cases")
def _case_link(item, unit_id: int) -> str:
    return url_for("cases.show", unit_id=unit_id, case_id=item.object_id)
