"""JSON API of clearing names (/api/v1/u/<unit>/clearing-cases, -candidates, -visits).

Like every casework endpoint, the path names the acting unit: one account may work in several
units, and the unit decides which records exist for the request (404 for anything else).
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user

from core.api import PAGING, api, documented, parse_json
from core.clearing import operations as ops
from core.clearing import queries
from core.clearing.models import ClearingCandidate, ClearingVisit
from core.clearing.schemas import (ApplicationInSchema, CandidateFlagsSchema, CandidateInSchema,
                                   CandidateListItemSchema, CandidateSchema, CaseListItemSchema, CaseSchema,
                                   ReviewGivenSchema, ScreeningResultSchema, ScreeningSchema, TransitionInSchema,
                                   VisitInSchema, VisitSchema)
from core.clearing.queries import allowed_steps, ensure_step, load_case, load_own
from core.clearing.workflow import HIGHER_REVIEW_STEPS
from tenants.access import Action, ensure

CASES, CASES_DOC = "/u/<int:unit_id>/clearing-cases", "/u/{unit_id}/clearing-cases"
CANDIDATES, CANDIDATES_DOC = "/u/<int:unit_id>/clearing-candidates", "/u/{unit_id}/clearing-candidates"
VISITS, VISITS_DOC = "/u/<int:unit_id>/clearing-visits", "/u/{unit_id}/clearing-visits"
MAX_PER_PAGE = 200


def _dump_case(case) -> dict:
    out = CaseSchema().dump(case)
    out["allowed_transitions"] = allowed_steps(case, g.unit, current_user)
    if case.unit_id != g.unit.id:
        out["visits"] = []  # the reviewing unit sees the case for its review, not the person's visits
    return out


@api.get(CASES)
@documented(CASES_DOC, "get", "The unit's clearing cases (filters: stage, priority, batch_id, overdue, q, closed; "
            "page, per_page); each with the start of its accusation", response=CaseListItemSchema,
            envelope="page", query=PAGING, tag="clearing")
def list_cases(unit_id: int):
    ensure(current_user, Action.CLEARING_READ, g.unit, target=g.unit)
    f = queries.QueueFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    cases, total = queries.queue_page(g.unit, f, page, per_page)
    return jsonify(items=CaseListItemSchema(many=True).dump(cases), total=total, page=page,
                   per_page=per_page)


@api.post(CASES)
@documented(CASES_DOC, "post", "Register a green-channel application (opens a case at 申请)",
            body=ApplicationInSchema, response=CaseSchema, tag="clearing", status=201)
def create_case(unit_id: int):
    ensure(current_user, Action.CLEARING_HANDLE, g.unit, target=g.unit)
    case = ops.register_application(g.unit, parse_json(ApplicationInSchema()))
    return jsonify(_dump_case(case)), 201


@api.get(f"{CASES}/<int:case_id>")
@documented(f"{CASES_DOC}/{{case_id}}", "get", "One clearing case, with the steps this account may take",
            response=CaseSchema, tag="clearing")
def get_case(unit_id: int, case_id: int):
    return jsonify(_dump_case(load_case(case_id, g.unit, current_user)))


@api.post(f"{CASES}/<int:case_id>/transitions")
@documented(f"{CASES_DOC}/{{case_id}}/transitions", "post",
            "Take a step of the chain. 409 names the current state and the allowed steps; 422 lists field "
            "errors; a stale version answers 409. A higher unit's review step answers only that the review was "
            "given", body=TransitionInSchema, response=(CaseSchema, ReviewGivenSchema), tag="clearing")
def clearing_case_transition(unit_id: int, case_id: int):
    case = load_case(case_id, g.unit, current_user)
    args = parse_json(TransitionInSchema())
    share = ensure_step(case, args["transition"], g.unit, current_user)
    ops.take_step(case, args["transition"], args["data"], acting_unit=g.unit, share=share,
                  expected_version=args["version"])
    if share is not None and args["transition"] in HIGHER_REVIEW_STEPS:
        return jsonify(id=case.id, state=case.state, review_given=True)  # the share has ended with the review
    return jsonify(_dump_case(case))


@api.get(CANDIDATES)
@documented(CANDIDATES_DOC, "get", "The unit's candidate pool 备选库, priority first; each with the start of "
            "its accusation", response=CandidateListItemSchema, many=True, tag="clearing")
def list_candidates(unit_id: int):
    ensure(current_user, Action.CLEARING_READ, g.unit, target=g.unit)
    return jsonify(CandidateListItemSchema(many=True).dump(queries.pool(g.unit)))


@api.post(CANDIDATES)
@documented(CANDIDATES_DOC, "post", "Record a concluded unfounded accusation into the pool", body=CandidateInSchema,
            response=CandidateSchema, tag="clearing", status=201)
def create_candidate(unit_id: int):
    ensure(current_user, Action.CLEARING_HANDLE, g.unit, target=g.unit)
    return jsonify(CandidateSchema().dump(ops.record_candidate(g.unit, parse_json(CandidateInSchema())))), 201


@api.post(f"{CANDIDATES}/<int:candidate_id>/priority")
@documented(f"{CANDIDATES_DOC}/{{candidate_id}}/priority", "post",
            "Correct a candidate's priority flags (from its petition's work areas at first); the pool reorders",
            body=CandidateFlagsSchema, response=CandidateSchema, tag="clearing")
def set_candidate_flags(unit_id: int, candidate_id: int):
    candidate = load_own(ClearingCandidate, candidate_id, g.unit, current_user, Action.CLEARING_HANDLE)
    args = parse_json(CandidateFlagsSchema())
    ops.set_candidate_flags(candidate, args["priority_flags"], expected_version=args["version"])
    return jsonify(CandidateSchema().dump(candidate))


@api.post(f"{CANDIDATES}/<int:candidate_id>/screening")
@documented(f"{CANDIDATES_DOC}/{{candidate_id}}/screening", "post",
            "Screen a candidate: accept into clearing (answers the new case) or set aside with a reason",
            body=ScreeningSchema, response=ScreeningResultSchema, tag="clearing")
def screen_candidate(unit_id: int, candidate_id: int):
    candidate = load_own(ClearingCandidate, candidate_id, g.unit, current_user, Action.CLEARING_HANDLE)
    args = parse_json(ScreeningSchema())
    case = ops.screen_candidate(candidate, accept=args["decision"] == "accept", reason=args["reason"],
                                expected_version=args["version"])
    return jsonify(candidate=CandidateSchema().dump(candidate), case=_dump_case(case) if case else None)


@api.get(VISITS)
@documented(VISITS_DOC, "get", "The unit's follow-up visits still to make (一人四访), soonest first",
            response=VisitSchema, many=True, tag="clearing")
def list_visits(unit_id: int):
    ensure(current_user, Action.CLEARING_READ, g.unit, target=g.unit)
    return jsonify(VisitSchema(many=True).dump(queries.visits_due(g.unit)))


@api.post(f"{VISITS}/<int:visit_id>")
@documented(f"{VISITS_DOC}/{{visit_id}}", "post", "Record (or correct) a follow-up visit", body=VisitInSchema,
            response=VisitSchema, tag="clearing")
def record_visit(unit_id: int, visit_id: int):
    visit = load_own(ClearingVisit, visit_id, g.unit, current_user, Action.CLEARING_HANDLE)
    args = parse_json(VisitInSchema())
    ops.record_visit(visit, args, expected_version=args.pop("version"))
    return jsonify(VisitSchema().dump(visit))
