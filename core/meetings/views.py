"""HTML pages of on-site meetings (现场办公会): the county's tours (and its issue categories), a tour with its
meetings, a meeting with the issues villagers raised, and an issue with its close-out (note and files)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.meetings import operations as ops
from core.meetings import queries
from core.meetings.queries import load_meeting, load_tour
from core.meetings.workflow import BODY_KINDS, OUTCOMES
from tenants.access import Action, can, ensure

bp = Blueprint("meetings", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/meetings")


def _may(action: Action) -> bool:
    return can(current_user, action, g.unit, target=g.unit)


def _index_page(*, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    unit = g.unit
    may_manage = _may(Action.MEETINGS_MANAGE)
    tours = queries.tours_of(unit)
    today = calendar.today()
    return render_template(
        "meetings/index.html", unit=unit, tours=[(t, queries.tour_summary(t, today)) for t in tours],
        categories=queries.categories_of(unit), may_manage=may_manage,
        villages=queries.township_villages(unit) if may_manage else [],
        staff=queries.team_candidates(unit) if may_manage else [], errors=errors or {}, form=form or {},
        failed=failed, today=today), status


@bp.get("")
@login_required
def index(unit_id: int):
    if not _may(Action.MEETINGS_READ) and _may(Action.MEETINGS_ASSIGNED):
        # A township: the issues the county's tours registered with it.
        return render_template("meetings/assigned.html", unit=g.unit, issues=queries.assigned_issues(g.unit),
                               today=calendar.today())
    ensure(current_user, Action.MEETINGS_READ, g.unit, target=g.unit)
    return _index_page()


@bp.post("/tours")
@login_required
def new_tour(unit_id: int):
    ensure(current_user, Action.MEETINGS_MANAGE, g.unit, target=g.unit)
    raw = request.form.to_dict()
    raw["account_ids"] = request.form.getlist("account_ids")
    raw["village_ids"] = request.form.getlist("village_ids")
    try:
        tour = ops.create_tour(g.unit, raw)
    except InvalidInput as exc:
        db.session.rollback()
        return _index_page(errors=exc.errors, form=request.form, failed="tour", status=422)
    flash(_("已建立巡察：%(n)s", n=tour.name), "success")
    return redirect(url_for("meetings.tour", unit_id=unit_id, tour_id=tour.id))


@bp.post("/categories")
@login_required
def categories(unit_id: int):
    ensure(current_user, Action.MEETINGS_MANAGE, g.unit, target=g.unit)
    try:
        if request.form.get("archive"):
            ops.archive_category(g.unit, request.form.get("archive", ""))
        else:
            ops.add_category(g.unit, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _index_page(errors=exc.errors, form=request.form, failed="category", status=422)
    flash(_("问题类别已更新"), "success")
    return redirect(url_for("meetings.index", unit_id=unit_id))


def _tour_page(tour, *, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    may_manage = _may(Action.MEETINGS_MANAGE)
    return render_template("meetings/tour.html", unit=g.unit, tour=tour, summary=queries.tour_summary(tour),
                           may_manage=may_manage, errors=errors or {}, form=form or {}, failed=failed,
                           villages=queries.township_villages(g.unit) if may_manage else [],
                           staff=queries.team_candidates(g.unit) if may_manage else [],
                           today=calendar.today()), status


@bp.get("/tours/<int:tour_id>")
@login_required
def tour(unit_id: int, tour_id: int):
    return _tour_page(load_tour(tour_id, Action.MEETINGS_READ, g.unit, current_user))


@bp.post("/tours/<int:tour_id>")
@login_required
def edit_tour(unit_id: int, tour_id: int):
    tour_ = load_tour(tour_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    raw = request.form.to_dict()
    raw["account_ids"] = request.form.getlist("account_ids")
    raw["village_ids"] = request.form.getlist("village_ids")
    try:
        ops.update_tour(tour_, raw, expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _tour_page(load_tour(tour_id, Action.MEETINGS_MANAGE, g.unit, current_user), errors=exc.errors,
                          form=request.form, failed="tour", status=422)
    flash(_("巡察信息已更新"), "success")
    return redirect(url_for("meetings.tour", unit_id=unit_id, tour_id=tour_id))


@bp.post("/tours/<int:tour_id>/meetings")
@login_required
def new_meeting(unit_id: int, tour_id: int):
    tour_ = load_tour(tour_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    raw = request.form.to_dict()
    try:
        meeting = ops.create_meeting(tour_, raw)
    except InvalidInput as exc:
        db.session.rollback()
        return _tour_page(load_tour(tour_id, Action.MEETINGS_MANAGE, g.unit, current_user), errors=exc.errors,
                          form=request.form, status=422)
    flash(_("已记录现场办公会：%(v)s", v=meeting.village_name), "success")
    return redirect(url_for("meetings.meeting", unit_id=unit_id, onsite_meeting_id=meeting.id))


def _meeting_page(meeting, *, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    return render_template("meetings/meeting.html", unit=g.unit, m=meeting, issues=queries.issues_of(meeting),
                           categories=queries.categories_of(g.unit), towns=queries.townships_of(g.unit),
                           outcomes=OUTCOMES, body_kinds=BODY_KINDS, may_manage=_may(Action.MEETINGS_MANAGE),
                           errors=errors or {}, form=form or {}, failed=failed, today=calendar.today()), status


@bp.get("/<int:onsite_meeting_id>")
@login_required
def meeting(unit_id: int, onsite_meeting_id: int):
    return _meeting_page(load_meeting(onsite_meeting_id, Action.MEETINGS_READ, g.unit, current_user))


@bp.post("/<int:onsite_meeting_id>")
@login_required
def edit_meeting(unit_id: int, onsite_meeting_id: int):
    meeting_ = load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    try:
        ops.update_meeting(meeting_, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _meeting_page(load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user),
                             errors=exc.errors, form=request.form, failed="meeting", status=422)
    flash(_("办公会信息已更新"), "success")
    return redirect(url_for("meetings.meeting", unit_id=unit_id, onsite_meeting_id=onsite_meeting_id))


@bp.post("/<int:onsite_meeting_id>/issues")
@login_required
def new_issue(unit_id: int, onsite_meeting_id: int):
    meeting_ = load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    try:
        issue = ops.log_issue(meeting_, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _meeting_page(load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user),
                             errors=exc.errors, form=request.form, status=422)
    flash(_("已记录第%(n)s项问题", n=issue.seq), "success")
    return redirect(url_for("meetings.meeting", unit_id=unit_id, onsite_meeting_id=onsite_meeting_id))


def _issue_page(issue, share, *, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    at_county = share is None
    may_done = _may(Action.MEETINGS_MANAGE) if at_county else (
        "done" in share.allowed_transitions and _may(Action.MEETINGS_ASSIGNED))
    return render_template("meetings/issue.html", unit=g.unit, issue=issue, m=issue.meeting, at_county=at_county,
                           may_manage=may_done, may_reschedule=at_county and _may(Action.MEETINGS_MANAGE),
                           errors=errors or {}, form=form or {}, failed=failed, today=calendar.today()), status


@bp.get("/issues/<int:meeting_issue_id>")
@login_required
def issue(unit_id: int, meeting_issue_id: int):
    return _issue_page(*queries.load_issue_for(meeting_issue_id, Action.MEETINGS_READ, g.unit, current_user))


@bp.post("/issues/<int:meeting_issue_id>/done")
@login_required
def resolve(unit_id: int, meeting_issue_id: int):
    issue_, share = queries.load_issue_for(meeting_issue_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    if share is not None and "done" not in share.allowed_transitions:
        ensure(current_user, Action.MEETINGS_MANAGE, g.unit, object_type="meeting_issues", object_id=meeting_issue_id)
    try:
        ops.resolve_issue(issue_, request.form.to_dict(), current_user,
                          expected_version=request.form.get("version", type=int), share=share)
    except InvalidInput as exc:
        db.session.rollback()
        return _issue_page(*queries.load_issue_for(meeting_issue_id, Action.MEETINGS_MANAGE, g.unit, current_user),
                           errors=exc.errors, form=request.form, status=422)
    flash(_("问题已办结"), "success")
    return redirect(url_for("meetings.issue", unit_id=unit_id, meeting_issue_id=meeting_issue_id))


@bp.post("/issues/<int:meeting_issue_id>/deadline")
@login_required
def reschedule(unit_id: int, meeting_issue_id: int):
    issue_ = queries.load_issue(meeting_issue_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    try:
        ops.change_deadline(issue_, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _issue_page(queries.load_issue(meeting_issue_id, Action.MEETINGS_MANAGE, g.unit, current_user), None,
                           errors=exc.errors, form=request.form, failed="deadline", status=422)
    flash(_("办理时限已调整"), "success")
    return redirect(url_for("meetings.issue", unit_id=unit_id, meeting_issue_id=meeting_issue_id))


@register_link("onsite_meetings")
def _meeting_link(item, unit_id: int) -> str:
    return url_for("meetings.meeting", unit_id=unit_id, onsite_meeting_id=item.object_id)


@register_link("meeting_issues")
def _issue_link(item, unit_id: int) -> str:
    return url_for("meetings.issue", unit_id=unit_id, meeting_issue_id=item.object_id)
