"""HTML pages of leads: the unit's registry (filters: state, source, 我承办的), registration, the lead's page with
the four disposal forms, and the conversion of a petition (the petition's page shows its button and its lead)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.leads import operations as ops
from core.leads import queries
from core.leads.models import (ASSESSMENT_LABELS, FORM_LABELS, LEVEL_LABELS, RECOMMENDATION_LABELS, SOURCE_LABELS,
                               TALK_LABELS, Lead, LeadReport, Source)
from core.leads.queries import load_for_step, load_lead, load_petition_to_convert
from core.leads.workflow import (DECISION_LABELS, LEAD_FLOW, OPEN, REPORT_FLOW, TRACK_LABELS, TRACKS)
from core.workflow import history
from tenants.access import Action, can, ensure
from tenants.models import Unit

bp = Blueprint("leads", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/leads")
PER_PAGE = 50
FORM_ROWS = 3  # rows of persons on the registration form
PARTY_LABELS = {"1": _l("中共党员"), "0": _l("非中共党员")}


def _labels() -> dict:
    return {"SOURCE_LABELS": SOURCE_LABELS, "LEVEL_LABELS": LEVEL_LABELS, "FORM_LABELS": FORM_LABELS,
            "TALK_LABELS": TALK_LABELS, "ASSESSMENT_LABELS": ASSESSMENT_LABELS,
            "RECOMMENDATION_LABELS": RECOMMENDATION_LABELS, "PARTY_LABELS": PARTY_LABELS,
            "DUE_LABELS": calendar.DUE_STATE_LABELS, "due_state": calendar.due_state, "flow": LEAD_FLOW, "OPEN": OPEN,
            "TRACK_LABELS": TRACK_LABELS, "DECISION_LABELS": DECISION_LABELS, "report_flow": REPORT_FLOW}


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEADS_READ, unit, target=unit)
    f = queries.LeadFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    return render_template("leads/list.html", **_labels(), unit=unit, leads=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, today=calendar.today(), f=f, args=f.as_args(),
                           can_register=can(current_user, Action.LEADS_REGISTER, unit, target=unit))


def _raw_from_form(form) -> dict:
    persons = [{k: form.get(f"persons-{i}-{k}", "") for k in ("name", "position", "work_unit", "level",
                                                                "party_member")} for i in range(FORM_ROWS)]
    for person in persons:
        person["party_member"] = person["party_member"] or None
    return {"source": form.get("source", ""), "source_note": form.get("source_note", ""),
            "received_on": form.get("received_on", ""), "summary": form.get("summary", ""), "persons": persons}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEADS_REGISTER, unit, target=unit)
    errors: dict = {}
    form = request.form if request.method == "POST" else {"received_on": calendar.today().isoformat()}
    if request.method == "POST":
        try:
            lead = ops.register_lead(unit, _raw_from_form(request.form))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已登记问题线索：%(number)s", number=lead.number), "success")
            return redirect(url_for("leads.show", unit_id=unit.id, lead_id=lead.id))
    sources = {k: v for k, v in SOURCE_LABELS.items() if k != Source.PETITION}
    return render_template("leads/form.html", **_labels(), unit=unit, form=form, errors=errors, sources=sources,
                           rows=range(FORM_ROWS)), 422 if errors else 200


@bp.post("/from-petition/<int:petition_id>")
@login_required
def from_petition(unit_id: int, petition_id: int):
    """转为问题线索: one of the unit's petitions becomes a lead (its informant stays with the petition)."""
    petition = load_petition_to_convert(petition_id, g.unit, current_user)
    try:
        lead = ops.convert_petition(petition, g.unit)
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("petitions.show", unit_id=unit_id, petition_id=petition_id))
    flash(_("已转为问题线索：%(number)s", number=lead.number), "success")
    return redirect(url_for("leads.show", unit_id=unit_id, lead_id=lead.id))


def _linked(lead_id: int | None) -> dict | None:
    """The other lead of a 县领办 pair, linked where the account may open it here."""
    other = db.session.get(Lead, lead_id) if lead_id else None
    if other is None:
        return None
    href = (url_for("leads.show", unit_id=g.unit.id, lead_id=other.id)
            if queries.may_open_lead(current_user, g.unit, other) else None)
    return {"number": other.number, "unit": db.session.get(Unit, other.unit_id).name, "href": href}


def _detail(lead: Lead, *, step_errors: dict | None = None, form=None, failed_step: str = ""):
    unit = g.unit
    steps = queries.allowed_steps(lead, unit, current_user)
    today = calendar.today()
    own = lead.unit_id == unit.id
    petition = queries.petition_of(lead) if own else None
    return render_template(
        "leads/detail.html", **_labels(), unit=unit, lead=lead, steps=steps, today=today, own=own,
        owner=db.session.get(Unit, lead.unit_id),
        due=calendar.due_state(lead.due_on, today) if lead.due_on and lead.state in OPEN else None,
        history=history("leads", lead.id), step_errors=step_errors or {}, form=form or {}, failed_step=failed_step,
        petition=petition, may_read_petition=can(current_user, Action.PETITIONS_READ, unit),
        decisions=queries.decisions_of(lead), origin=_linked(lead.origin_id), county_lead=_linked(lead.county_lead_id),
        funnel_url=(url_for("leads.funnel_lead", unit_id=unit.id, lead_id=lead.id)
                    if can(current_user, Action.LEADS_FUNNEL, unit, target=unit) and not own else None))


@bp.get("/<int:lead_id>")
@login_required
def show(unit_id: int, lead_id: int):
    return _detail(load_lead(lead_id, Action.LEADS_READ, g.unit, current_user, own=False))


@bp.post("/<int:lead_id>/steps/<any(talk, verify, shelve, close):step>")
@login_required
def step(unit_id: int, lead_id: int, step: str):
    lead, share = load_for_step(lead_id, step, g.unit, current_user)
    try:
        version = request.form.get("version", type=int)
        if share is not None:
            ops.step_through_share(lead, step, request.form.to_dict(), share, expected_version=version)
        else:
            ops.dispose(lead, step, request.form.to_dict(), expected_version=version)
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(db.session.get(Lead, lead_id), step_errors=exc.errors, form=request.form,
                       failed_step=step), 422
    flash(_("已处置：%(s)s", s=LEAD_FLOW.step_label(step)), "success")
    return redirect(url_for("leads.show", unit_id=unit_id, lead_id=lead_id))


# ---------------------------------------------------------------- what the petition's page shows (area.py install)


def petition_lead_url(lead: Lead, unit) -> str:
    return url_for("leads.show", unit_id=unit.id, lead_id=lead.id)


def petition_convert_url(petition, unit, account) -> str | None:
    """The button's action, where the account registers leads here and the petition may become one."""
    if petition.unit_id != unit.id or petition.state in ops.NOT_CONVERTIBLE \
            or not can(account, Action.LEADS_REGISTER, unit, target=unit):
        return None
    return url_for("leads.from_petition", unit_id=unit.id, petition_id=petition.id)


@register_link("leads")
def _lead_link(item, unit_id: int) -> str:
    return url_for("leads.show", unit_id=unit_id, lead_id=item.object_id)


# ---------------------------------------------------------------- 月报备: the township's months, the county's grid

GRID_MONTHS = 6  # the county's grid: the last months whose reports are due or open


def _recent_periods(n: int) -> list[str]:
    """The last ``n`` months that are over, newest first."""
    period, periods = ops.period_of(calendar.today()), []
    for _i in range(n):
        period = ops.previous_period(period)
        periods.append(period)
    return periods


@bp.route("/reports", methods=["GET", "POST"])
@login_required
def reports(unit_id: int):
    """The township: its months (submitted or not) and the live preview of one; the county: townships × months."""
    unit = g.unit
    ensure(current_user, Action.LEAD_REPORTS_READ, unit, target=unit)
    today = calendar.today()
    if unit.level == "county" or ops.county_of(unit) is None:
        county = unit
        errors: dict = {}
        may_set = can(current_user, Action.LEAD_REPORTS_SETTINGS, unit, target=unit)
        if request.method == "POST":
            ensure(current_user, Action.LEAD_REPORTS_SETTINGS, unit, target=unit)
            try:
                ops.set_due_day(county, request.form.get("due_day"),
                                expected_version=request.form.get("version", type=int))
            except InvalidInput as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                flash(_("已设置报备截止日：次月 %(d)s 日", d=ops.due_day_of(county)), "success")
                return redirect(url_for("leads.reports", unit_id=unit.id))
        periods = _recent_periods(GRID_MONTHS)
        day = ops.due_day_of(county)
        townships = queries.townships_of(county)
        found = queries.reports_of_county(county, periods)
        grid = []
        for town in townships:
            cells = []
            for period in periods:
                report = found.get((town.id, period))
                due = ops.due_date(period, day)
                held = report is not None and report.state in ("submitted", "received")
                owes = ops.owes(town, period) if not held else True
                cells.append({"period": period, "report": report, "due": due,
                              "late": owes and not held and due < today,
                              "href": url_for("leads.report", unit_id=unit.id, report_id=report.id)
                              if report is not None else None})
            grid.append({"unit": town, "cells": cells, "late": any(c["late"] for c in cells)})
        return render_template("leads/reports_county.html", **_labels(), unit=unit, periods=periods, grid=grid,
                               due_day=day, setting=ops.setting_of(county), may_set=may_set, errors=errors,
                               today=today, can_funnel=can(current_user, Action.LEADS_FUNNEL, unit, target=unit)), \
            422 if errors else 200
    # A township: the months of the last half year, and the preview of the chosen one.
    if request.method == "POST":
        ensure(current_user, Action.LEAD_REPORTS_SETTINGS, unit, target=unit)  # a county's setting: 404 here
    periods = _recent_periods(GRID_MONTHS)
    period = ops.parse_period(request.args.get("period")) or periods[0]
    county = ops.county_of(unit)
    day = ops.due_day_of(county)
    mine = {r.period: r for r in queries.reports_of_township(unit)}
    rows = [{"period": p, "report": mine.get(p), "due": ops.due_date(p, day),
             "owes": ops.owes(unit, p)} for p in periods]
    preview = ops.build_report(unit, period) if period < ops.period_of(today) else None
    report = mine.get(period)
    may_submit = (can(current_user, Action.LEAD_REPORTS_SUBMIT, unit, target=unit) and preview is not None
                  and (report is None or report.state == "returned"))
    return render_template("leads/reports_township.html", **_labels(), unit=unit, county=county, rows=rows,
                           period=period, preview=preview, report=report, may_submit=may_submit, due_day=day,
                           due=ops.due_date(period, day), today=today)


@bp.post("/reports/submit")
@login_required
def submit_report(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEAD_REPORTS_SUBMIT, unit, target=unit)
    period = request.form.get("period", "")
    try:
        report = ops.submit_report(unit, period, expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("leads.reports", unit_id=unit.id, period=ops.parse_period(period) or None)), 303
    flash(_("已报备：%(p)s", p=report.period), "success")
    return redirect(url_for("leads.report", unit_id=unit.id, report_id=report.id))


def _report_page(report: LeadReport, *, errors: dict | None = None, form=None):
    unit = g.unit
    rows = ops.snapshot_of(report)
    leads = {lead.id: lead for lead in db.session.scalars(select(Lead).where(Lead.id.in_(report.lead_ids or [0])))}
    for row in rows:
        lead = leads.get(row["id"])
        row["href"] = (url_for("leads.show", unit_id=unit.id, lead_id=lead.id)
                       if lead is not None and queries.may_open_lead(current_user, unit, lead) else None)
    at_county = report.county_id == unit.id
    may_receive = at_county and report.state == "submitted" and can(current_user, Action.LEAD_REPORTS_RECEIVE, unit,
                                                                      target=unit)
    return render_template("leads/report.html", **_labels(), unit=unit, report=report, rows=rows,
                           township=db.session.get(Unit, report.unit_id), at_county=at_county,
                           may_receive=may_receive, history=history("lead_reports", report.id),
                           may_resubmit=(not at_county and report.state == "returned"
                                         and can(current_user, Action.LEAD_REPORTS_SUBMIT, unit, target=unit)),
                           errors=errors or {}, form=form or {},
                           may_decide=at_county and can(current_user, Action.LEAD_TRACKS_DECIDE, unit, target=unit))


@bp.get("/reports/<int:report_id>")
@login_required
def report(unit_id: int, report_id: int):
    return _report_page(queries.load_report(report_id, g.unit, current_user))


@bp.post("/reports/<int:report_id>/<any(receive, send_back):step>")
@login_required
def report_step(unit_id: int, report_id: int, step: str):
    report = queries.load_report(report_id, g.unit, current_user, Action.LEAD_REPORTS_RECEIVE)
    if report.county_id != g.unit.id:
        ensure(current_user, Action.LEAD_REPORTS_RECEIVE, None)  # a township's own page has no such door
    try:
        version = request.form.get("version", type=int)
        if step == "receive":
            ops.receive_report(report, g.unit, expected_version=version)
        else:
            ops.send_back_report(report, g.unit, request.form.get("reason"), expected_version=version)
    except InvalidInput as exc:
        db.session.rollback()
        return _report_page(db.session.get(LeadReport, report_id), errors=exc.errors, form=request.form), 422
    flash(_("已签收") if step == "receive" else _("已退回"), "success")
    return redirect(url_for("leads.report", unit_id=unit_id, report_id=report_id))


# ---------------------------------------------------------------- 一个漏斗: the county's funnel


def _staff_choices(county: Unit) -> list:
    from core.identity.models import Account
    from tenants.models import Membership

    return list(db.session.execute(select(Account.id, Account.display_name, Membership.role).join(
        Membership, Membership.account_id == Account.id).where(
        Membership.unit_id == county.id, Membership.ended_at.is_(None),
        Membership.role.in_(("leader", "officer"))).order_by(Account.display_name)))


@bp.get("/funnel")
@login_required
def funnel(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEADS_FUNNEL, unit, target=unit)
    f = queries.FunnelFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.funnel_query(unit, f, current_user).offset((page - 1) * PER_PAGE)
                              .limit(PER_PAGE + 1)).all()
    units = {u.id: u for u in queries.townships_of(unit)} | {unit.id: unit}
    pending = queries.pending_decisions(unit)
    waiting = {d.lead_id for d in pending}
    return render_template("leads/funnel.html", **_labels(), unit=unit, leads=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, f=f, args=f.as_args(), units=units, pending=pending,
                           waiting=waiting, today=calendar.today(), TRACKS=TRACKS,
                           may_decide=can(current_user, Action.LEAD_TRACKS_DECIDE, unit, target=unit),
                           may_approve=can(current_user, Action.LEAD_TRACKS_APPROVE, unit, target=unit))


def _funnel_lead_page(lead: Lead, *, errors: dict | None = None, form=None):
    unit = g.unit
    return render_template("leads/funnel_lead.html", **_labels(), unit=unit, lead=lead,
                           owner=db.session.get(Unit, lead.unit_id), decisions=queries.decisions_of(lead),
                           pending=ops.pending_decision(lead), staff=_staff_choices(unit), TRACKS=TRACKS,
                           errors=errors or {}, form=form or {}, today=calendar.today(),
                           chosen=form.getlist("staff_ids") if hasattr(form, "getlist") else [],
                           may_decide=(can(current_user, Action.LEAD_TRACKS_DECIDE, unit, target=unit)
                                       and lead.unit_id != unit.id and lead.state not in ("transferred", "closed")),
                           may_approve=can(current_user, Action.LEAD_TRACKS_APPROVE, unit, target=unit),
                           lead_href=url_for("leads.show", unit_id=unit.id, lead_id=lead.id)), \
        422 if errors else 200


@bp.get("/funnel/<int:lead_id>")
@login_required
def funnel_lead(unit_id: int, lead_id: int):
    return _funnel_lead_page(queries.load_for_funnel(lead_id, g.unit, current_user))


@bp.post("/funnel/<int:lead_id>/decide")
@login_required
def decide(unit_id: int, lead_id: int):
    lead = queries.load_for_funnel(lead_id, g.unit, current_user, Action.LEAD_TRACKS_DECIDE)
    raw = {"track": request.form.get("track"), "reason": request.form.get("reason"),
           "staff_ids": request.form.getlist("staff_ids")}
    try:
        decision = ops.decide_track(lead, g.unit, raw)
    except InvalidInput as exc:
        db.session.rollback()
        return _funnel_lead_page(db.session.get(Lead, lead_id), errors=exc.errors, form=request.form)
    flash(_("已分派：%(t)s（%(s)s）", t=decision.track_label, s=decision.status_label), "success")
    return redirect(url_for("leads.funnel_lead", unit_id=unit_id, lead_id=lead_id))


@bp.post("/funnel/decisions/<int:decision_id>/<any(approve, reject):step>")
@login_required
def approve(unit_id: int, decision_id: int, step: str):
    decision = queries.load_decision(decision_id, g.unit, current_user, Action.LEAD_TRACKS_APPROVE)
    try:
        ops.approve_decision(decision, g.unit, approve=step == "approve", note=request.form.get("note"))
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return _funnel_lead_page(db.session.get(Lead, decision.lead_id), errors=exc.errors, form=request.form)
    flash(_("已批准") if step == "approve" else _("已不予批准"), "success")
    return redirect(url_for("leads.funnel_lead", unit_id=unit_id, lead_id=decision.lead_id))


@register_link("lead_reports")
def _report_link(item, unit_id: int) -> str:
    return url_for("leads.report", unit_id=unit_id, report_id=item.object_id)


@register_link("lead_reports_late")
def _late_link(item, unit_id: int) -> str:
    return url_for("leads.reports", unit_id=unit_id)


@register_link("lead_track_decisions")
def _decision_link(item, unit_id: int) -> str:
    return url_for("leads.funnel", unit_id=unit_id)
