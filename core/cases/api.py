"""JSON API of cases (/api/v1/u/<unit>/cases): the list, opening from a lead, one case (its own unit's, or shared
to the county for its review), the case file, the review loop and decision as transitions, the rounds of the
review, an execution step done. 422 lists every field's reason in Chinese and saves nothing."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core.api import PAGING, api, documented, parse_json
from core.cases import operations as ops
from core.cases import queries
from core.cases.queries import load_case, load_execution_step, load_for_step, load_lead_to_open, load_own
from core.cases.schemas import (CaseFileSchema, CaseOpenSchema, CaseReviewSchema, InvestigationCaseSchema, CaseTransitionSchema,
                                ExecutionDoneSchema)
from core.errors import InvalidInput
from core.extensions import db
from tenants.access import Action, ensure

PREFIX, DOC = "/u/<int:unit_id>/cases", "/u/{unit_id}/cases"
MAX_PER_PAGE = 200


@api.get(PREFIX)
@documented(DOC, "get", "The unit's cases, newest first (state, overdue, self_handled, q, handler=me, page, "
            "per_page)", response=InvestigationCaseSchema, envelope="page", query=PAGING, tag="cases")
def cases_list(unit_id: int):
    ensure(current_user, Action.CASES_READ, g.unit, target=g.unit)
    stmt = queries.list_query(g.unit, queries.CaseFilter.from_args(request.args))
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=InvestigationCaseSchema(many=True).dump(rows), total=total, page=page, per_page=per_page)


@api.post(PREFIX)
@documented(DOC, "post", "立案: open a case from one of the unit's leads verified with 建议立案 (its persons travel "
            "sealed)", body=CaseOpenSchema, response=InvestigationCaseSchema, tag="cases", status=201)
def cases_open(unit_id: int):
    ensure(current_user, Action.CASES_HANDLE, g.unit, target=g.unit)
    args = parse_json(CaseOpenSchema())
    lead = load_lead_to_open(args["lead_id"], g.unit, current_user)
    case = ops.open_from_lead(lead, g.unit, {"opened_on": args["opened_on"]})
    return jsonify(InvestigationCaseSchema().dump(case)), 201


@api.get(f"{PREFIX}/<int:case_id>")
@documented(f"{DOC}/{{case_id}}", "get", "One case: the unit's own, or a township's shared to its county for review",
            response=InvestigationCaseSchema, tag="cases")
def cases_get(unit_id: int, case_id: int):
    return jsonify(InvestigationCaseSchema().dump(load_case(case_id, g.unit, current_user)))


@api.post(f"{PREFIX}/<int:case_id>/file")
@documented(f"{DOC}/{{case_id}}/file", "post", "The case file while investigating or answering a send-back: "
            "findings (查明的事实) and the proposed decision (处理意见), and/or one investigation step",
            body=CaseFileSchema, response=InvestigationCaseSchema, tag="cases")
def cases_file(unit_id: int, case_id: int):
    case = load_own(case_id, Action.CASES_HANDLE, g.unit, current_user)
    args = parse_json(CaseFileSchema())
    if args.get("step") is None and args.get("findings") is None:
        raise InvalidInput({"_schema": [_("请填写查明的事实与处理意见，或一项审查调查措施")]})
    if args.get("step") is not None:
        ops.add_investigation_step(case, args["step"], expected_version=args["version"])
    if args.get("findings") is not None:
        ops.update_file(case, args, expected_version=None if args.get("step") is not None else args["version"])
    return jsonify(InvestigationCaseSchema().dump(case))


@api.post(f"{PREFIX}/<int:case_id>/transitions")
@documented(f"{DOC}/{{case_id}}/transitions", "post",
            "A step of the review loop: submit / resubmit (the case's unit), review_agree / review_send_back / "
            "review_change (the reviewer: the county's through the review share), decide (the leader, only after "
            "同意). 409 names the current state; 422 lists field errors", body=CaseTransitionSchema,
            response=InvestigationCaseSchema, tag="cases")
def cases_transition(unit_id: int, case_id: int):
    load_case(case_id, g.unit, current_user)  # strangers: 404 before the body is read
    args = parse_json(CaseTransitionSchema())
    case, share = load_for_step(case_id, args["transition"], g.unit, current_user)
    ops.take_step(case, args["transition"], args["data"], acting_unit=g.unit, expected_version=args["version"],
                  share=share)
    return jsonify(InvestigationCaseSchema().dump(case))


@api.get(f"{PREFIX}/<int:case_id>/reviews")
@documented(f"{DOC}/{{case_id}}/reviews", "get", "The rounds of the case's review (镇案县审), first first: "
            "submitted, opinion, points, the answer to a send-back", response=CaseReviewSchema, many=True,
            tag="cases")
def cases_reviews(unit_id: int, case_id: int):
    case = load_case(case_id, g.unit, current_user)
    return jsonify(CaseReviewSchema(many=True).dump(queries.reviews_of(case)))


@api.post(f"{PREFIX}/<int:case_id>/execution/<int:execution_step_id>")
@documented(f"{DOC}/{{case_id}}/execution/{{execution_step_id}}", "post",
            "处分执行: one step done (done_on, evidence); the last one makes the execution complete (执行到位)",
            body=ExecutionDoneSchema, response=InvestigationCaseSchema, tag="cases")
def cases_execution_done(unit_id: int, case_id: int, execution_step_id: int):
    case = load_own(case_id, Action.CASES_HANDLE, g.unit, current_user)
    step = load_execution_step(case, execution_step_id, g.unit)
    args = parse_json(ExecutionDoneSchema())
    ops.complete_execution_step(case, step, args, expected_version=args["version"])
    return jsonify(InvestigationCaseSchema().dump(case))
