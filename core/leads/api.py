"""JSON API of leads (/api/v1/u/<unit>/leads): the registry, registration, one lead, and its disposal in one of
the four ways. A lead carries no informant; 422 lists every field's reason in Chinese and saves nothing."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core.api import PAGING, api, documented, parse_json
from core.extensions import db
from core.leads import operations as ops
from core.leads import queries
from core.leads.queries import load_for_step, load_lead
from core.leads.models import LeadReport
from core.leads.schemas import (LeadInSchema, LeadReportInSchema, LeadReportSchema, LeadReportTransitionSchema,
                                LeadSchema, LeadTransitionSchema, TrackApprovalSchema, TrackDecisionInSchema,
                                TrackDecisionSchema)
from tenants.access import Action, ensure

PREFIX, DOC = "/u/<int:unit_id>/leads", "/u/{unit_id}/leads"
MAX_PER_PAGE = 200


@api.get(PREFIX)
@documented(DOC, "get", "The unit's leads, newest first (state, source, overdue, q, handler=me, page, per_page)",
            response=LeadSchema, envelope="page", query=PAGING, tag="leads")
def list_leads(unit_id: int):
    ensure(current_user, Action.LEADS_READ, g.unit, target=g.unit)
    stmt = queries.list_query(g.unit, queries.LeadFilter.from_args(request.args))
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=LeadSchema(many=True).dump(rows), total=total, page=page, per_page=per_page)


@api.post(PREFIX)
@documented(DOC, "post", "Register a lead (persons sealed at rest; a petition becomes a lead on its page, by "
            "conversion)", body=LeadInSchema, response=LeadSchema, tag="leads", status=201)
def register_lead(unit_id: int):
    ensure(current_user, Action.LEADS_REGISTER, g.unit, target=g.unit)
    lead = ops.register_lead(g.unit, parse_json(LeadInSchema()))
    return jsonify(LeadSchema().dump(lead)), 201


@api.get(f"{PREFIX}/<int:lead_id>")
@documented(f"{DOC}/{{lead_id}}", "get", "One lead of the unit, or one shared to it (月报备, 县领办, 县镇合办)",
            response=LeadSchema, tag="leads")
def get_lead(unit_id: int, lead_id: int):
    return jsonify(LeadSchema().dump(load_lead(lead_id, Action.LEADS_READ, g.unit, current_user, own=False)))


@api.post(f"{PREFIX}/<int:lead_id>/transitions")
@documented(f"{DOC}/{{lead_id}}/transitions", "post",
            "Dispose of the lead: talk (谈话函询), verify (初步核实), shelve (暂存待查), close (予以了结, a leader). 409 "
            "names the current state and the allowed ways; 422 lists field errors", body=LeadTransitionSchema,
            response=LeadSchema, tag="leads")
def lead_transition(unit_id: int, lead_id: int):
    load_lead(lead_id, Action.LEADS_READ, g.unit, current_user, own=False)  # strangers: 404 before the body
    args = parse_json(LeadTransitionSchema())
    lead, share = load_for_step(lead_id, args["transition"], g.unit, current_user)
    if share is not None:
        ops.step_through_share(lead, args["transition"], args["data"], share, expected_version=args["version"])
    else:
        ops.dispose(lead, args["transition"], args["data"], expected_version=args["version"])
    return jsonify(LeadSchema().dump(lead))


# ---------------------------------------------------------------- 月报备

REPORTS, REPORTS_DOC = "/u/<int:unit_id>/lead-reports", "/u/{unit_id}/lead-reports"


@api.get(REPORTS)
@documented(REPORTS_DOC, "get", "Monthly lead reports (月报备): a township's own; at a county, its townships' "
            "(period=YYYY-MM)", response=LeadReportSchema, envelope="items", tag="leads")
def list_lead_reports(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.LEAD_REPORTS_READ, unit, target=unit)
    stmt = select(LeadReport).where((LeadReport.unit_id == unit.id) | (LeadReport.county_id == unit.id))
    period = ops.parse_period(request.args.get("period"))
    if period:
        stmt = stmt.where(LeadReport.period == period)
    rows = db.session.scalars(stmt.order_by(LeadReport.period.desc(), LeadReport.unit_id)).all()
    return jsonify(items=LeadReportSchema(many=True).dump(rows))


@api.post(REPORTS)
@documented(REPORTS_DOC, "post", "The township's leader submits the month's report, generated from the registry "
            "and frozen; the listed leads are shared with the county read-only", body=LeadReportInSchema,
            response=LeadReportSchema, tag="leads", status=201)
def submit_lead_report(unit_id: int):
    ensure(current_user, Action.LEAD_REPORTS_SUBMIT, g.unit, target=g.unit)
    args = parse_json(LeadReportInSchema())
    report = ops.submit_report(g.unit, args["period"], expected_version=args["version"])
    return jsonify(LeadReportSchema().dump(report)), 201


@api.get(f"{REPORTS}/<int:report_id>")
@documented(f"{REPORTS_DOC}/{{report_id}}", "get", "One monthly report with its counts and its list of leads",
            response=LeadReportSchema, tag="leads")
def get_lead_report(unit_id: int, report_id: int):
    return jsonify(LeadReportSchema().dump(queries.load_report(report_id, g.unit, current_user)))


@api.post(f"{REPORTS}/<int:report_id>/transitions")
@documented(f"{REPORTS_DOC}/{{report_id}}/transitions", "post",
            "submit (resubmit a report sent back: the township's leader), receive (签收) or send_back (退回, with "
            "reason: the county's case admin)", body=LeadReportTransitionSchema, response=LeadReportSchema,
            tag="leads")
def lead_report_transition(unit_id: int, report_id: int):
    report = queries.load_report(report_id, g.unit, current_user)
    args = parse_json(LeadReportTransitionSchema())
    if args["transition"] == "submit":
        report = queries.load_report(report_id, g.unit, current_user, Action.LEAD_REPORTS_SUBMIT)
        if report.unit_id != g.unit.id:
            ensure(current_user, Action.LEAD_REPORTS_SUBMIT, None)
        report = ops.submit_report(g.unit, report.period, expected_version=args["version"])
    else:
        report = queries.load_report(report_id, g.unit, current_user, Action.LEAD_REPORTS_RECEIVE)
        if report.county_id != g.unit.id:
            ensure(current_user, Action.LEAD_REPORTS_RECEIVE, None)
        if args["transition"] == "receive":
            ops.receive_report(report, g.unit, expected_version=args["version"])
        else:
            ops.send_back_report(report, g.unit, args["reason"], expected_version=args["version"])
    return jsonify(LeadReportSchema().dump(report))


# ---------------------------------------------------------------- 一个漏斗


@api.post(f"{PREFIX}/<int:lead_id>/track-decisions")
@documented(f"{DOC}/{{lead_id}}/track-decisions", "post", "The county's case admin assigns a reported lead its "
            "track (一个漏斗): township takes effect at once; county_led and joint wait for the county leader",
            body=TrackDecisionInSchema, response=TrackDecisionSchema, tag="leads", status=201)
def decide_track(unit_id: int, lead_id: int):
    lead = queries.load_for_funnel(lead_id, g.unit, current_user, Action.LEAD_TRACKS_DECIDE)
    decision = ops.decide_track(lead, g.unit, parse_json(TrackDecisionInSchema()))
    return jsonify(TrackDecisionSchema().dump(decision)), 201


@api.post("/u/<int:unit_id>/lead-track-decisions/<int:decision_id>/approval")
@documented("/u/{unit_id}/lead-track-decisions/{decision_id}/approval", "post",
            "The county leader approves or rejects (with a note) a pending track decision", body=TrackApprovalSchema,
            response=TrackDecisionSchema, tag="leads")
def approve_track(unit_id: int, decision_id: int):
    decision = queries.load_decision(decision_id, g.unit, current_user, Action.LEAD_TRACKS_APPROVE)
    args = parse_json(TrackApprovalSchema())
    ops.approve_decision(decision, g.unit, approve=args["decision"] == "approve", note=args["note"])
    return jsonify(TrackDecisionSchema().dump(decision))
