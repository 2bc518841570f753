"""HTML pages of 联系指导: the guidance page (the offices the account belongs to; the county's leader every office),
an office's page (its townships' figures and ledger completeness — numbers only —, its regular meetings and guidance
visits, the forms to record them), a meeting, a visit (its problems, sent down as a rectification order by the
county's leader), and the county's offices and assignments (the leader and the unit admin)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.guidance import operations as ops
from core.guidance import queries
from core.guidance.workflow import COMPLETENESS, PERIODS
from core.supervision.workflow import ITEM_FLOW
from tenants.access import Action, can, ensure

bp = Blueprint("guidance", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/guidance")


def _may(action: Action) -> bool:
    return can(current_user, action, g.unit, target=g.unit)


def _form(names=()) -> dict:
    raw = request.form.to_dict()
    for name in names:
        raw[name] = request.form.getlist(name)
    return raw


@bp.get("")
@login_required
def index(unit_id: int):
    ensure(current_user, Action.GUIDANCE_READ, g.unit, target=g.unit)
    offices = queries.visible_offices(g.unit, current_user)
    return render_template("guidance/index.html", unit=g.unit, offices=[
        (o, queries.current_townships(o), queries.current_members(o)) for o in offices],
        sees_all=_may(Action.GUIDANCE_ALL), may_manage=_may(Action.GUIDANCE_MANAGE),
        account_name=queries.account_name)


# ---------------------------------------------------------------- the county's offices and assignments


def _offices_page(*, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    unit = g.unit
    offices = queries.offices_of(unit)
    current = {a.township_id: a.office for a in queries.current_assignments(unit)}
    return render_template(
        "guidance/offices.html", unit=unit, offices=[(o, queries.current_members(o), queries.current_townships(o))
                                                     for o in offices],
        townships=queries.townships_of(unit), current=current, staff=queries.staff_candidates(unit),
        history=queries.assignment_history(unit), account_name=queries.account_name, errors=errors or {},
        form=form or {}, failed=failed, sees_pages=_may(Action.GUIDANCE_READ)), status


@bp.get("/offices")
@login_required
def offices(unit_id: int):
    ensure(current_user, Action.GUIDANCE_MANAGE, g.unit, target=g.unit)
    return _offices_page()


@bp.post("/offices")
@login_required
def new_office(unit_id: int):
    ensure(current_user, Action.GUIDANCE_MANAGE, g.unit, target=g.unit)
    try:
        office = ops.create_office(g.unit, _form(("member_account_ids", "township_ids")))
    except InvalidInput as exc:
        db.session.rollback()
        return _offices_page(errors=exc.errors, form=request.form, failed="new", status=422)
    flash(_("已设立：%(n)s", n=office.name), "success")
    return redirect(url_for("guidance.offices", unit_id=unit_id))


@bp.post("/offices/<int:office_id>/members")
@login_required
def office_members(unit_id: int, office_id: int):
    office = queries.load_office(office_id, Action.GUIDANCE_MANAGE)
    try:
        ops.set_members(office, _form(("member_account_ids",)))
    except InvalidInput as exc:
        db.session.rollback()
        return _offices_page(errors=exc.errors, failed=f"office-{office_id}", status=422)
    flash(_("%(n)s 成员已更新", n=office.name), "success")
    return redirect(url_for("guidance.offices", unit_id=unit_id))


@bp.post("/offices/<int:office_id>/townships")
@login_required
def office_townships(unit_id: int, office_id: int):
    office = queries.load_office(office_id, Action.GUIDANCE_MANAGE)
    try:
        ops.set_townships(office, _form(("township_ids",)))
    except InvalidInput as exc:
        db.session.rollback()
        return _offices_page(errors=exc.errors, failed=f"office-{office_id}", status=422)
    flash(_("%(n)s 联系指导的乡镇（街道）已更新", n=office.name), "success")
    return redirect(url_for("guidance.offices", unit_id=unit_id))


@bp.post("/offices/<int:office_id>/archive")
@login_required
def archive_office(unit_id: int, office_id: int):
    office = queries.load_office(office_id, Action.GUIDANCE_MANAGE)
    ops.archive_office(office)
    flash(_("%(n)s 已撤销，其例会和督查指导记录保留", n=office.name), "success")
    return redirect(url_for("guidance.offices", unit_id=unit_id))


# ---------------------------------------------------------------- an office's guidance page


def _office_page(office, *, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    period = request.args.get("period") if request.args.get("period") in PERIODS else "year"
    townships = queries.current_townships(office)
    today = calendar.today()
    return render_template(
        "guidance/office.html", unit=g.unit, office=office, townships=townships,
        members=queries.current_members(office), figures=queries.township_figures(g.unit, townships, period),
        completeness=queries.ledger_completeness(townships, today), COMPLETENESS=COMPLETENESS, PERIODS=PERIODS,
        period=period, meetings=queries.meetings_of([office]), visits=queries.visits_of([office]),
        may_log=_may(Action.GUIDANCE_LOG) and queries.is_member(office, current_user),
        account_name=queries.account_name, errors=errors or {}, form=form or {}, failed=failed,
        today=today), status


@bp.get("/offices/<int:office_id>")
@login_required
def office(unit_id: int, office_id: int):
    return _office_page(queries.load_office(office_id, Action.GUIDANCE_READ))


@bp.post("/offices/<int:office_id>/meetings")
@login_required
def new_meeting(unit_id: int, office_id: int):
    office_ = queries.load_office(office_id, Action.GUIDANCE_LOG)
    try:
        meeting_ = ops.log_meeting(office_, _form(("township_ids",)))
    except InvalidInput as exc:
        db.session.rollback()
        return _office_page(queries.load_office(office_id, Action.GUIDANCE_LOG), errors=exc.errors,
                            form=request.form, failed="meeting", status=422)
    flash(_("已记录定期例会（%(d)s）", d=meeting_.held_on.isoformat()), "success")
    return redirect(url_for("guidance.meeting", unit_id=unit_id, guidance_meeting_id=meeting_.id))


@bp.post("/offices/<int:office_id>/visits")
@login_required
def new_visit(unit_id: int, office_id: int):
    office_ = queries.load_office(office_id, Action.GUIDANCE_LOG)
    try:
        visit_ = ops.log_visit(office_, _form(("staff_account_ids",)))
    except InvalidInput as exc:
        db.session.rollback()
        return _office_page(queries.load_office(office_id, Action.GUIDANCE_LOG), errors=exc.errors,
                            form=request.form, failed="visit", status=422)
    flash(_("已记录督查指导：%(t)s", t=visit_.township_name), "success")
    return redirect(url_for("guidance.visit", unit_id=unit_id, guidance_visit_id=visit_.id))


@bp.get("/meetings/<int:guidance_meeting_id>")
@login_required
def meeting(unit_id: int, guidance_meeting_id: int):
    return render_template("guidance/meeting.html", unit=g.unit,
                           m=queries.load_meeting(guidance_meeting_id, Action.GUIDANCE_READ))


def _visit_page(visit_, *, errors: dict | None = None, status: int = 200):
    return render_template("guidance/visit.html", unit=g.unit, v=visit_,
                           items=queries.items_by_id(p.item_id for p in visit_.problems),
                           open_problems=queries.open_problems(visit_), may_raise=_may(Action.GUIDANCE_RAISE),
                           state_label=ITEM_FLOW.label, may_open_items=_may(Action.SUPERVISION_READ),
                           errors=errors or {}, today=calendar.today()), status


@bp.get("/visits/<int:guidance_visit_id>")
@login_required
def visit(unit_id: int, guidance_visit_id: int):
    return _visit_page(queries.load_visit(guidance_visit_id, Action.GUIDANCE_READ))


@bp.post("/visits/<int:guidance_visit_id>/raise")
@login_required
def raise_problems(unit_id: int, guidance_visit_id: int):
    visit_ = queries.load_visit(guidance_visit_id, Action.GUIDANCE_RAISE)
    try:
        item = ops.raise_problems(visit_, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _visit_page(queries.load_visit(guidance_visit_id, Action.GUIDANCE_RAISE), errors=exc.errors,
                           status=422)
    flash(_("已向%(t)s下发整改交办单 %(n)s", t=visit_.township_name, n=item.number), "success")
    return redirect(url_for("guidance.visit", unit_id=unit_id, guidance_visit_id=guidance_visit_id))
