"""JSON API of petitions (/api/v1/u/<unit>/petitions): list, register, read, handle.

The informant is accepted on registration and never returned; revealing it stays a page with a
stated reason, audited (petitions.views.reveal).
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core.api import api, documented, parse_json
from core.extensions import db
from core.petitions import operations as ops
from core.petitions.models import Petition
from core.petitions.schemas import PetitionInSchema, PetitionSchema, PetitionTransitionSchema
from tenants.access import Action, deny, ensure
from tenants.scoping import load_scoped

PREFIX, DOC = "/u/<int:unit_id>/petitions", "/u/{unit_id}/petitions"
MAX_PER_PAGE = 200


@api.get(PREFIX)
@documented(DOC, "get", "The unit's petitions, newest first (state, page, per_page)", response=PetitionSchema,
            many=True, tag="petitions")
def list_petitions(unit_id: int):
    ensure(current_user, Action.PETITIONS_READ, g.unit, target=g.unit)
    stmt = select(Petition).where(Petition.unit_id == g.unit.id)
    if request.args.get("state"):
        stmt = stmt.where(Petition.state == request.args["state"])
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(Petition.year.desc(), Petition.seq.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=PetitionSchema(many=True).dump(rows), total=total, page=page, per_page=per_page)


@api.post(PREFIX)
@documented(DOC, "post", "Register a petition (the informant is encrypted at rest and never returned)",
            body=PetitionInSchema, response=PetitionSchema, tag="petitions", status=201)
def register_petition(unit_id: int):
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, target=g.unit)
    args = parse_json(PetitionInSchema())
    petition = ops.register_petition(g.unit, args)
    return jsonify(PetitionSchema().dump(petition)), 201


@api.get(f"{PREFIX}/<int:petition_id>")
@documented(f"{DOC}/{{petition_id}}", "get", "One petition (also one shared to the unit by supervision)",
            response=PetitionSchema, tag="petitions")
def get_petition(unit_id: int, petition_id: int):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.PETITIONS_READ)
    return jsonify(PetitionSchema().dump(petition))


@api.post(f"{PREFIX}/<int:petition_id>/transitions")
@documented(f"{DOC}/{{petition_id}}/transitions", "post",
            "Handle: start, conclude (an unfounded outcome enters the clearing pool), feedback. 409 names the "
            "current state and the allowed steps; 422 lists field errors", body=PetitionTransitionSchema,
            response=PetitionSchema, tag="petitions")
def petition_transition(unit_id: int, petition_id: int):
    petition = load_scoped(Petition, petition_id, unit=g.unit, account=current_user, action=Action.PETITIONS_HANDLE)
    if petition.unit_id != g.unit.id:
        deny(Action.PETITIONS_HANDLE, unit=g.unit, object_type="petitions", object_id=petition_id)
    args = parse_json(PetitionTransitionSchema())
    ops.take_step(petition, args["transition"], args["data"], expected_version=args["version"])
    return jsonify(PetitionSchema().dump(petition))
