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
from core.leads.schemas import LeadInSchema, LeadSchema, LeadTransitionSchema
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
@documented(f"{DOC}/{{lead_id}}", "get", "One lead of the unit", response=LeadSchema, tag="leads")
def get_lead(unit_id: int, lead_id: int):
    return jsonify(LeadSchema().dump(load_lead(lead_id, Action.LEADS_READ, g.unit, current_user)))


@api.post(f"{PREFIX}/<int:lead_id>/transitions")
@documented(f"{DOC}/{{lead_id}}/transitions", "post",
            "Dispose of the lead: talk (谈话函询), verify (初步核实), shelve (暂存待查), close (予以了结, a leader). 409 "
            "names the current state and the allowed ways; 422 lists field errors", body=LeadTransitionSchema,
            response=LeadSchema, tag="leads")
def lead_transition(unit_id: int, lead_id: int):
    load_lead(lead_id, Action.LEADS_READ, g.unit, current_user)  # strangers: 404 before the body is read
    args = parse_json(LeadTransitionSchema())
    lead = load_for_step(lead_id, args["transition"], g.unit, current_user)
    ops.dispose(lead, args["transition"], args["data"], expected_version=args["version"])
    return jsonify(LeadSchema().dump(lead))
