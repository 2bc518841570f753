"""JSON API of supervision items (/api/v1/u/<unit>/supervision-items)."""
from __future__ import annotations

from flask import g, jsonify
from flask_login import current_user
from sqlalchemy import or_, select

from core.api import api, documented, parse_json
from core.extensions import db
from core.supervision import operations as ops
from core.supervision.models import SupervisionItem
from core.supervision.schemas import ItemCreateSchema, ItemListItemSchema, ItemSchema, StepSchema
from core.supervision.queries import ISSUER_STEPS, RECIPIENT_STEPS, load_item
from tenants.access import Action, deny, ensure
from tenants.models import Unit

PREFIX = "/u/<int:unit_id>/supervision-items"
DOC = "/u/{unit_id}/supervision-items"


@api.get(PREFIX)
@documented(DOC, "get", "Supervision items issued by the unit or addressed to it, each with the start of its text",
            response=ItemListItemSchema, many=True, tag="supervision")
def list_items(unit_id: int):
    ensure(current_user, Action.SUPERVISION_READ, g.unit, target=g.unit)
    items = db.session.scalars(select(SupervisionItem).where(or_(
        SupervisionItem.unit_id == g.unit.id, SupervisionItem.recipient_unit_id == g.unit.id))
        .order_by(SupervisionItem.id)).all()
    return jsonify(ItemListItemSchema(many=True).dump(items))


@api.post(PREFIX)
@documented(DOC, "post", "Issue a supervision item to a descendant unit", body=ItemCreateSchema,
            response=ItemSchema, tag="supervision", status=201)
def issue_item(unit_id: int):
    ensure(current_user, Action.SUPERVISION_ISSUE, g.unit, target=g.unit)
    args = parse_json(ItemCreateSchema())
    recipient = db.session.get(Unit, args.pop("recipient_unit_id"))
    item = ops.issue_item(g.unit, recipient, **args)
    return jsonify(ItemSchema().dump(item)), 201


@api.get(f"{PREFIX}/<int:item_id>")
@documented(f"{DOC}/{{item_id}}", "get", "One supervision item", response=ItemSchema, tag="supervision")
def get_item(unit_id: int, item_id: int):
    item, _is_issuer = load_item(item_id, g.unit, current_user)
    return jsonify(ItemSchema().dump(item))


@api.post(f"{PREFIX}/<int:item_id>/steps")
@documented(f"{DOC}/{{item_id}}/steps", "post",
            "Move the item: receive, progress, done (receiver); accept, send_back, close (issuer)",
            body=StepSchema, response=ItemSchema, tag="supervision")
def item_step(unit_id: int, item_id: int):
    item, is_issuer = load_item(item_id, g.unit, current_user)
    needed = Action.SUPERVISION_ISSUE if is_issuer else Action.SUPERVISION_HANDLE
    ensure(current_user, needed, g.unit, object_type="supervision_items", object_id=item_id)
    args = parse_json(StepSchema())
    if args["step"] not in (ISSUER_STEPS if is_issuer else RECIPIENT_STEPS):
        deny(needed, unit=g.unit, object_type="supervision_items", object_id=item_id)
    match args["step"]:
        case "receive":
            ops.receive(item)
        case "progress":
            ops.report_progress(item, args["body"])
        case "done":
            ops.report_done(item, args["body"])
        case "accept":
            ops.accept(item)
        case "send_back":
            ops.send_back(item, args["reason"])
        case "close":
            ops.close(item, args["reason"])
    return jsonify(ItemSchema().dump(item))
