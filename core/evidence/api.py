"""JSON API of remote evidence (/api/v1/u/<unit>/remote-interviews): the list, planning one, one interview (and
its change before the procedure starts), its procedure and the steps in order. 422 lists every field's reason in
Chinese and saves nothing; 409 names the step due. Files go through /api/v1/u/<unit>/attachments
(record_type=remote_interviews)."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core.api import PAGING, api, documented, parse_json
from core.evidence import operations as ops
from core.evidence import queries
from core.evidence.queries import load_interview
from core.evidence.schemas import (InterviewInSchema, InterviewSchema, InterviewUpdateSchema, ProcedureSchema,
                                   StepInSchema)
from core.evidence.workflow import STEPS, due_step
from core.extensions import db
from tenants.access import Action, ensure

PREFIX, DOC = "/u/<int:unit_id>/remote-interviews", "/u/{unit_id}/remote-interviews"
MAX_PER_PAGE = 200
TAG = "evidence"


@api.get(PREFIX)
@documented(DOC, "get", "The unit's remote interviews (远程取证), newest first (state, open, unchecked, mine, page, "
            "per_page)", response=InterviewSchema, envelope="page", query=PAGING, tag=TAG)
def list_remote_interviews(unit_id: int):
    ensure(current_user, Action.EVIDENCE_READ, g.unit, target=g.unit)
    stmt = queries.list_query(g.unit, queries.InterviewFilter.from_args(request.args, current_user.id))
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=InterviewSchema(many=True).dump(rows), total=total, page=page, per_page=per_page)


@api.post(PREFIX)
@documented(DOC, "post", "Plan a remote interview on one of the unit's records (a lead, a petition): the witness "
            "(sealed at rest), two staff of the unit, the planned time, mode and place", body=InterviewInSchema,
            response=InterviewSchema, tag=TAG, status=201)
def plan_remote_interview(unit_id: int):
    ensure(current_user, Action.EVIDENCE_CONDUCT, g.unit, target=g.unit)
    interview = ops.plan_interview(g.unit, parse_json(InterviewInSchema()), current_user)
    return jsonify(InterviewSchema().dump(interview)), 201


@api.get(f"{PREFIX}/<int:interview_id>")
@documented(f"{DOC}/{{interview_id}}", "get", "One remote interview of the unit", response=InterviewSchema, tag=TAG)
def get_remote_interview(unit_id: int, interview_id: int):
    return jsonify(InterviewSchema().dump(load_interview(interview_id, Action.EVIDENCE_READ, g.unit, current_user)))


@api.patch(f"{PREFIX}/<int:interview_id>")
@documented(f"{DOC}/{{interview_id}}", "patch", "Change the witness, the staff, the time, mode or place (before the "
            "witness's consent only; a finalised interview is read-only: 409)", body=InterviewUpdateSchema,
            response=InterviewSchema, tag=TAG)
def update_remote_interview(unit_id: int, interview_id: int):
    interview = load_interview(interview_id, Action.EVIDENCE_CONDUCT, g.unit, current_user)
    args = parse_json(InterviewUpdateSchema())
    given = set(request.get_json(silent=True) or {})
    raw = {**ops.current_fields(interview), **{k: v for k, v in args.items() if k in given}}
    ops.update_interview(interview, raw, expected_version=args.get("version"))
    return jsonify(InterviewSchema().dump(interview))


def _procedure(interview) -> dict:
    return ProcedureSchema().dump({"id": interview.id, "state": interview.state, "state_label": interview.state_label,
                                   "due_step": due_step(interview.state), "steps": queries.procedure(interview),
                                   "staff": queries.participation(interview), "version": interview.version})


@api.get(f"{PREFIX}/<int:interview_id>/steps")
@documented(f"{DOC}/{{interview_id}}/steps", "get", "The procedure: each step in order, done or due, who confirmed "
            "it and when; the two staff's confirmations", response=ProcedureSchema, tag=TAG)
def remote_interview_steps(unit_id: int, interview_id: int):
    return jsonify(_procedure(load_interview(interview_id, Action.EVIDENCE_READ, g.unit, current_user)))


@api.post(f"{PREFIX}/<int:interview_id>/steps")
@documented(f"{DOC}/{{interview_id}}/steps", "post", "Confirm the step due (one of the two staff, own account), "
            "confirm one's participation, finalise (every step, both staff, the recording, the signed transcript) "
            "or record the case admin's check. A step out of order: 409 naming the step due; 422 lists what is "
            "missing", body=StepInSchema, response=ProcedureSchema, tag=TAG)
def remote_interview_step(unit_id: int, interview_id: int):
    load_interview(interview_id, Action.EVIDENCE_READ, g.unit, current_user)  # strangers: 404 before the body
    args = parse_json(StepInSchema())
    step = args["step"]
    action = Action.EVIDENCE_CHECK if step == "check" else Action.EVIDENCE_CONDUCT
    interview = load_interview(interview_id, action, g.unit, current_user)
    if step in STEPS:
        ops.take_step(interview, step, args["data"], current_user, expected_version=args["version"])
    elif step == "confirm_participation":
        ops.confirm_participation(interview, current_user)
    elif step == "finalise":
        ops.finalise(interview, args["data"], current_user, expected_version=args["version"])
    else:
        ops.check(interview, args["data"], current_user, expected_version=args["version"])
    return jsonify(_procedure(interview))
