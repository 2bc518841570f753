"""JSON API of directives (/api/v1/u/<unit>/directives): send, read, receipts, acknowledge, return."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from core import calendar
from core.api import api, documented, parse_json
from core.directives import operations as ops
from core.directives import queries
from core.directives.models import Directive, DirectiveReceipt
from core.directives.schemas import (DirectiveCreateSchema, DirectiveDetailSchema, DirectiveListItemSchema,
                                     DirectiveListsSchema, DirectiveSchema, ReceiptSchema, ReturnCreateSchema,
                                     ReturnSchema, TrackingSchema)
from core.directives.queries import load_directive, load_received
from core.extensions import db
from tenants.access import Action, can, deny, ensure

PREFIX = "/u/<int:unit_id>/directives"
DOC = "/u/{unit_id}/directives"


@api.get(PREFIX)
@documented(DOC, "get", "Directives sent by the unit and received by it, each with the start of its text",
            response=DirectiveListsSchema, tag="directives")
def list_directives(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.INBOX_READ, unit, target=unit)
    sent, received = [], []
    if can(current_user, Action.DIRECTIVES_TRACK, unit):
        sent = db.session.scalars(select(Directive).where(Directive.unit_id == unit.id).order_by(Directive.id)).all()
    if can(current_user, Action.DIRECTIVES_RECEIVE, unit):
        received = db.session.scalars(select(Directive).join(DirectiveReceipt, DirectiveReceipt.directive_id == Directive.id)
                                      .where(DirectiveReceipt.unit_id == unit.id).order_by(Directive.id)).all()
    schema = DirectiveListItemSchema(many=True)
    return jsonify(sent=schema.dump(sent), received=schema.dump(received))


@api.post(PREFIX)
@documented(DOC, "post", "Send a directive or campaign to descendants", body=DirectiveCreateSchema,
            response=DirectiveSchema, tag="directives", status=201)
def send_directive(unit_id: int):
    ensure(current_user, Action.DIRECTIVES_SEND, g.unit, target=g.unit)
    args = parse_json(DirectiveCreateSchema())
    directive = ops.send_directive(g.unit, account_id=current_user.id, **args)
    return jsonify(DirectiveSchema().dump(directive)), 201


@api.get(f"{PREFIX}/<int:directive_id>")
@documented(f"{DOC}/{{directive_id}}", "get", "One directive (its sender's or a receiver's view)",
            response=DirectiveDetailSchema, tag="directives")
def get_directive(unit_id: int, directive_id: int):
    directive, receipt = load_directive(directive_id, g.unit, current_user)
    data = DirectiveSchema().dump(directive)
    today = calendar.today()
    current = ops.current_period(directive, today)
    data["current_period"] = {"key": current.key, "due_on": current.due_on.isoformat(),
                              "due_on_estimated": calendar.is_estimated(current.due_on)} if current else None
    phase = queries.phase_on(directive, today)
    data["current_phase"] = phase.name if phase else None
    if receipt is not None:
        data["receipt"] = ReceiptSchema().dump(receipt)
    return jsonify(data)


@api.get(f"{PREFIX}/<int:directive_id>/receipts")
@documented(f"{DOC}/{{directive_id}}/receipts", "get",
            "Sender's tracking: every receiver's receipt and returns, late units per period, roll-up of the "
            "current or given period (?period=)", response=TrackingSchema, tag="directives")
def directive_receipts(unit_id: int, directive_id: int):
    directive, receipt = load_directive(directive_id, g.unit, current_user)
    if receipt is not None:
        deny(Action.DIRECTIVES_TRACK, unit=g.unit, object_type="directives", object_id=directive_id)
    today = calendar.today()
    rows = queries.tracking(directive)
    receipts = []
    for row in rows:
        item = ReceiptSchema().dump(row.receipt)
        item["returns"] = ReturnSchema(many=True).dump(list(row.returns.values()))
        receipts.append(item)
    late = {key: [r.receipt.unit_id for r in late_rows]
            for key, late_rows in queries.late(directive, today, rows).items()}
    periods = queries.periods_for_tracking(directive, today)
    chosen = next((p for p in periods if p.key == request.args.get("period")), periods[0] if periods else None)
    rollup = None
    if chosen and directive.numeric_fields:
        r = queries.rollup(directive, chosen)
        rollup = {"period": chosen.key, "totals": r.totals, "returned": r.returned, "expected": r.expected,
                  "by_child": [{"unit_id": c.id, "unit_name": c.name, "sums": sums, "returned": n, "expected": e}
                               for c, sums, n, e in r.by_child]}
    return jsonify(receipts=receipts, late=late, rollup=rollup)


@api.post(f"{PREFIX}/<int:directive_id>/acknowledge")
@documented(f"{DOC}/{{directive_id}}/acknowledge", "post", "Acknowledge receipt", response=ReceiptSchema,
            tag="directives")
def acknowledge_directive(unit_id: int, directive_id: int):
    _directive, receipt = load_received(directive_id, g.unit, current_user)
    ops.acknowledge(receipt)
    return jsonify(ReceiptSchema().dump(receipt))


@api.post(f"{PREFIX}/<int:directive_id>/returns")
@documented(f"{DOC}/{{directive_id}}/returns", "post", "File (or correct) the unit's return for a period",
            body=ReturnCreateSchema, response=ReturnSchema, tag="directives", status=201)
def file_return(unit_id: int, directive_id: int):
    _directive, receipt = load_received(directive_id, g.unit, current_user)
    args = parse_json(ReturnCreateSchema())
    filed = ops.submit_return(receipt, args["period"], args["values"])
    return jsonify(ReturnSchema().dump(filed)), 201
