"""JSON API of petitions (/api/v1/u/<unit>/petitions): list, register (also 再次信访), read, handle, the
petition's repeat links (list, confirm or reject) and routing down the tree.

The informant is accepted on registration and never returned; revealing it stays a page with a
stated reason, audited (petitions.views.reveal).
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core.api import PAGING, api, documented, parse_json
from core.extensions import db
from core.petitions import operations as ops
from core.petitions import queries
from core.petitions.models import Petition
from core.petitions.queries import load_handled, load_own, load_own_link, share_for_step
from core.petitions.schemas import (LinkDecisionSchema, LinkSchema, PetitionInSchema, PetitionListItemSchema,
                                    PetitionSchema, PetitionTransitionSchema, RouteInSchema)
from tenants.access import Action, ensure
from tenants.models import Unit
from tenants.scoping import load_scoped

PREFIX, DOC = "/u/<int:unit_id>/petitions", "/u/{unit_id}/petitions"
MAX_PER_PAGE = 200


@api.get(PREFIX)
@documented(DOC, "get", "The unit's petitions, newest first (state, flag, overdue, q, page, per_page); each with "
            "the start of its content, not the whole", response=PetitionListItemSchema, envelope="page",
            query=PAGING, tag="petitions")
def list_petitions(unit_id: int):
    ensure(current_user, Action.PETITIONS_READ, g.unit, target=g.unit)
    stmt = queries.list_query(g.unit, queries.PetitionFilter.from_args(request.args))
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=PetitionListItemSchema(many=True).dump(rows), total=total, page=page, per_page=per_page)


@api.post(PREFIX)
@documented(DOC, "post", "Register a petition (the informant is encrypted at rest and never returned); "
            "again_of registers a 再次信访 of a closed petition of the unit", body=PetitionInSchema,
            response=PetitionSchema, tag="petitions", status=201)
def register_petition(unit_id: int):
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, target=g.unit)
    args = parse_json(PetitionInSchema())
    again_id, same_informant = args.pop("again_of"), args.pop("same_informant")
    if again_id is not None:
        petition = ops.register_again(g.unit, args, load_own(again_id, Action.PETITIONS_REGISTER, g.unit, current_user),
                                      same_informant=same_informant)
    else:
        petition = ops.register_petition(g.unit, args)
    return jsonify(PetitionSchema().dump(petition)), 201


@api.get(f"{PREFIX}/<int:petition_id>")
@documented(f"{DOC}/{{petition_id}}", "get", "One petition (also one shared to the unit by supervision or "
            "routing)", response=PetitionSchema, tag="petitions")
def get_petition(unit_id: int, petition_id: int):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.PETITIONS_READ)
    return jsonify(PetitionSchema().dump(petition))


@api.post(f"{PREFIX}/<int:petition_id>/transitions")
@documented(f"{DOC}/{{petition_id}}/transitions", "post",
            "Handle: start, conclude (an unfounded outcome enters the clearing pool), feedback, settle (息访); another "
            "township's staff take the steps their cross-handling grant names (交叉办案). 409 names the current state "
            "and the allowed steps; 422 lists field errors", body=PetitionTransitionSchema,
            response=PetitionSchema, tag="petitions")
def petition_transition(unit_id: int, petition_id: int):
    petition = load_handled(petition_id, g.unit, current_user)
    args = parse_json(PetitionTransitionSchema())
    share = share_for_step(petition, args["transition"], g.unit, current_user)
    ops.take_step(petition, args["transition"], args["data"], expected_version=args["version"], share=share)
    return jsonify(PetitionSchema().dump(petition))


@api.get(f"{PREFIX}/<int:petition_id>/links")
@documented(f"{DOC}/{{petition_id}}/links", "get", "The petition's proposed and decided repeat links: the other "
            "unit and its receipt facts only", response=LinkSchema, many=True, tag="petitions")
def list_links(unit_id: int, petition_id: int):
    petition = load_own(petition_id, Action.PETITIONS_READ, g.unit, current_user)
    return jsonify(LinkSchema(many=True).dump(queries.own_links(petition)))


@api.post(f"{PREFIX}/<int:petition_id>/links")
@documented(f"{DOC}/{{petition_id}}/links", "post", "Confirm or reject one of the petition's links; the flags "
            "are recomputed and returned with the petition", body=LinkDecisionSchema, response=PetitionSchema,
            tag="petitions")
def decide_link(unit_id: int, petition_id: int):
    petition = load_own(petition_id, Action.PETITIONS_LINKS, g.unit, current_user)
    args = parse_json(LinkDecisionSchema())
    link = load_own_link(petition, args["link_id"], g.unit, current_user)
    ops.decide_link(link, args["decision"])
    return jsonify(PetitionSchema().dump(petition))


@api.post(f"{PREFIX}/<int:petition_id>/route")
@documented(f"{DOC}/{{petition_id}}/route", "post", "转办/交办 to a descendant unit: the receiver gets its own "
            "linked record, this unit a tracking share and a 交办件. 409 names the current state; 422 lists field "
            "errors (a unit that is not below this one is one)", body=RouteInSchema, response=PetitionSchema,
            tag="petitions")
def route_petition(unit_id: int, petition_id: int):
    petition = load_own(petition_id, Action.PETITIONS_ROUTE, g.unit, current_user)
    args = parse_json(RouteInSchema())
    to_unit = db.session.get(Unit, args["to_unit_id"]) if args["to_unit_id"] else None
    ops.route_petition(petition, to_unit, mode=args["mode"], due_on=args["due_on"] or None,
                       instructions=args["instructions"], expected_version=args["version"])
    return jsonify(PetitionSchema().dump(petition))
