"""JSON API of the guidance case library: ``/api/v1/casebook`` searches what the account's units see (every unit of
the account reading the casebook, or the one named by ``?unit=``); ``/api/v1/u/<unit>/casebook`` searches and
publishes at one unit, ``…/casebook/<id>`` reads a case, ``…/casebook/proposals`` proposes upward and lists, and
``…/proposals/<id>/publish|return`` are the publisher leader's decisions. 422 lists every field's reason in Chinese
(the anonymisation check among them) and saves nothing. Template files: /api/v1/u/<unit>/attachments
(record_type=casebook_cases)."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user

from core.api import api, documented, parse_json
from core.casebook import operations as ops
from core.casebook import queries
from core.casebook.schemas import (GuidanceCaseInSchema, GuidanceCaseSchema, CaseProposalDecisionInSchema, FoundGuidanceCaseSchema, CaseProposalInSchema,
                                   CaseProposalSchema, CasebookSearchSchema)
from tenants.access import Action, can, ensure
from tenants.resolution import named_units, reading_at

BASE, BASE_DOC = "/u/<int:unit_id>/casebook", "/u/{unit_id}/casebook"
TAG = "casebook"
SEARCH_QUERY = {"q": ({"type": "string", "maxLength": 100}, "words (all of them) in the title, narrative, situation, "
                      "scope, method or tags"),
                "tag": ({"type": "string", "maxLength": 60}, "one tag, \"family:value\" (e.g. 澄清方式:澄清正名会)"),
                "family": ({"type": "string", "maxLength": 10}, "cases carrying any tag of this family"),
                "page": ({"type": "integer", "minimum": 1, "maximum": 100000}, "page number, from 1")}


def _args() -> tuple[str, str, str, int]:
    page = request.args.get("page", 1, type=int) or 1
    return (request.args.get("q", "")[:100], request.args.get("tag", "")[:60], request.args.get("family", "")[:10],
            min(max(page, 1), 100000))


@api.get("/casebook")
@documented("/casebook", "get", "Search the guidance cases (指导案例) every unit of the account sees (each published by "
            "its province or city, or by the unit itself), or the unit named by ?unit=", response=CasebookSearchSchema,
            query={**SEARCH_QUERY, "unit": ({"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                                            "only what this unit of the account sees")}, tag=TAG)
def search_casebook():
    q, tag, family, page = _args()
    found: dict[int, dict] = {}
    for unit in named_units():
        if not can(current_user, Action.CASEBOOK_READ, unit):
            continue
        with reading_at(unit):
            for case in queries.search(unit, q, tag, family, 1, 200)[0]:
                found.setdefault(case.id, {**FoundGuidanceCaseSchema().dump(case), "seen_at": unit.id})
    items = sorted(found.values(), key=lambda c: (c["published_on"], c["id"]), reverse=True)
    per_page = queries.PER_PAGE
    return jsonify(items=items[(page - 1) * per_page:page * per_page], total=len(items))


@api.get(BASE)
@documented(BASE_DOC, "get", "Search the guidance cases the unit sees (published by it or a unit above it)",
            response=CasebookSearchSchema, query=SEARCH_QUERY, tag=TAG)
def search_unit_casebook(unit_id: int):
    ensure(current_user, Action.CASEBOOK_READ, g.unit, target=g.unit)
    q, tag, family, page = _args()
    cases, total = queries.search(g.unit, q, tag, family, page)
    return jsonify(items=[{**FoundGuidanceCaseSchema().dump(c), "seen_at": g.unit.id} for c in cases], total=total)


@api.post(BASE)
@documented(BASE_DOC, "post", "Publish a guidance case for the unit's subtree (leader of a province or city): refused "
            "(422) if its text holds a name of a person in the unit's records; ID-number and phone patterns come back "
            "as warnings", body=GuidanceCaseInSchema, response=GuidanceCaseSchema, tag=TAG, status=201)
def publish_casebook_case(unit_id: int):
    ensure(current_user, Action.CASEBOOK_PUBLISH, g.unit, target=g.unit)
    case = ops.publish_case(g.unit, parse_json(GuidanceCaseInSchema()), current_user)
    return jsonify(GuidanceCaseSchema().dump(case)), 201


@api.get(f"{BASE}/<int:casebook_case_id>")
@documented(f"{BASE_DOC}/{{casebook_case_id}}", "get", "One guidance case the unit sees", response=GuidanceCaseSchema, tag=TAG)
def get_casebook_case(unit_id: int, casebook_case_id: int):
    case = queries.load_case(casebook_case_id, g.unit, current_user)
    data = GuidanceCaseSchema().dump(case)
    if case.unit_id != g.unit.id:
        data["warnings"] = {}
    return jsonify(data)


@api.get(f"{BASE}/proposals")
@documented(f"{BASE_DOC}/proposals", "get", "The unit's own proposals and those sent to it (as publisher)",
            response=CaseProposalSchema, many=True, tag=TAG)
def list_casebook_proposals(unit_id: int):
    may_propose, may_publish = (can(current_user, a, g.unit) for a in (Action.CASEBOOK_PROPOSE,
                                                                        Action.CASEBOOK_PUBLISH))
    if not (may_propose or may_publish):
        ensure(current_user, Action.CASEBOOK_PROPOSE, g.unit, target=g.unit)
    rows = (queries.proposals_of(g.unit) if may_propose else []) + (queries.incoming(g.unit) if may_publish else [])
    return jsonify(CaseProposalSchema(many=True).dump(rows))


@api.post(f"{BASE}/proposals")
@documented(f"{BASE_DOC}/proposals", "post", "Propose a case from the unit's work to its city or province "
            "(publisher_id); checked against the unit's records like a published one", body=CaseProposalInSchema,
            response=CaseProposalSchema, tag=TAG, status=201)
def propose_casebook_case(unit_id: int):
    ensure(current_user, Action.CASEBOOK_PROPOSE, g.unit, target=g.unit)
    proposal = ops.propose(g.unit, parse_json(CaseProposalInSchema()), current_user)
    return jsonify(CaseProposalSchema().dump(proposal)), 201


@api.get(f"{BASE}/proposals/<int:casebook_proposal_id>")
@documented(f"{BASE_DOC}/proposals/{{casebook_proposal_id}}", "get", "One proposal: the unit's own, or one sent to it",
            response=CaseProposalSchema, tag=TAG)
def get_casebook_proposal(unit_id: int, casebook_proposal_id: int):
    action = Action.CASEBOOK_PUBLISH if can(current_user, Action.CASEBOOK_PUBLISH, g.unit) else Action.CASEBOOK_PROPOSE
    return jsonify(CaseProposalSchema().dump(queries.load_proposal(casebook_proposal_id, g.unit, current_user, action)))


@api.post(f"{BASE}/proposals/<int:casebook_proposal_id>/publish")
@documented(f"{BASE_DOC}/proposals/{{casebook_proposal_id}}/publish", "post", "The publisher's leader publishes a "
            "proposal sent to the unit, as proposed or with the fields given (checked again)", body=CaseProposalDecisionInSchema,
            response=GuidanceCaseSchema, tag=TAG, status=201)
def publish_casebook_proposal(unit_id: int, casebook_proposal_id: int):
    proposal = queries.load_proposal(casebook_proposal_id, g.unit, current_user, Action.CASEBOOK_PUBLISH,
                                     side="publisher")
    args = parse_json(CaseProposalDecisionInSchema())
    case = ops.publish_proposal(proposal, g.unit, args, current_user, expected_version=args.get("version"))
    return jsonify(GuidanceCaseSchema().dump(case)), 201


@api.post(f"{BASE}/proposals/<int:casebook_proposal_id>/return")
@documented(f"{BASE_DOC}/proposals/{{casebook_proposal_id}}/return", "post", "The publisher's leader returns a "
            "proposal to its unit with a reason", body=CaseProposalDecisionInSchema, response=CaseProposalSchema, tag=TAG)
def return_casebook_proposal(unit_id: int, casebook_proposal_id: int):
    proposal = queries.load_proposal(casebook_proposal_id, g.unit, current_user, Action.CASEBOOK_PUBLISH,
                                     side="publisher")
    args = parse_json(CaseProposalDecisionInSchema())
    ops.return_proposal(proposal, g.unit, args, current_user, expected_version=args.get("version"))
    return jsonify(CaseProposalSchema().dump(proposal))
