"""JSON API of handlers (/api/v1/u/<unit>/handlers): a record's handler and its history, reassigning it (a
leader, with a reason), assigning many at once (each row answered), the officers who may handle a type, and the
unit's workload."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user

from core.api import api, documented, parse_json
from core.extensions import db
from core.handlers import operations as ops
from core.handlers import queries
from core.handlers.schemas import (BulkAssignSchema, BulkRowSchema, HandlerCandidateSchema, HandlerSchema, ReassignSchema,
                                   WorkloadRowSchema)
from core.identity.models import Account
from tenants.access import Action, ensure

PREFIX = "/u/<int:unit_id>/handlers"
DOC = "/u/{unit_id}/handlers"
TAG = "handlers"


def _ref(account: Account | None) -> dict | None:
    return {"id": account.id, "name": account.display_name} if account is not None else None


def _handler(record_type: str, record) -> dict:
    return {"record_type": record_type, "record_id": record.id,
            "handler": _ref(db.session.get(Account, record.handler_id) if record.handler_id else None),
            "history": [{"changed_at": h.changed_at, "from_account": _ref(h.from_account),
                         "to_account": _ref(h.to_account), "reason": h.reason, "changed_by": _ref(h.changed_by)}
                        for h in queries.history(record_type, record.id)]}


RECORD_TYPE = {"record_type": ({"type": "string", "maxLength": 64},
                              "the record's kind: petitions, clearing_cases, backlog_cases, supervision_items, …")}


@api.get(f"{PREFIX}/<int:record_id>")
@documented(f"{DOC}/{{record_id}}", "get", "A record's handler (承办人) and the history of its handlers",
            response=HandlerSchema, query=RECORD_TYPE, tag=TAG)
def handler_of(unit_id: int, record_id: int):
    record_type = request.args.get("record_type", "")
    record = queries.load_handled(record_type, record_id, g.unit, current_user)
    return jsonify(HandlerSchema().dump(_handler(record_type, record)))


@api.post(f"{PREFIX}/<int:record_id>")
@documented(f"{DOC}/{{record_id}}", "post",
            "Reassign the record to another handler of the unit (a leader, with a reason)", body=ReassignSchema,
            response=HandlerSchema, tag=TAG)
def reassign(unit_id: int, record_id: int):
    # The record first (404 for one the unit does not handle, whatever the body), then the body's checks.
    body = request.get_json(silent=True)
    record_type = str(body.get("record_type") or "") if isinstance(body, dict) else ""
    record = queries.load_handled(record_type, record_id, g.unit, current_user, Action.HANDLERS_ASSIGN)
    args = parse_json(ReassignSchema())
    ops.reassign(record, db.session.get(Account, args["account_id"]), unit=g.unit, reason=args["reason"],
                 expected_version=args.get("version"))
    return jsonify(HandlerSchema().dump(_handler(record_type, record)))


@api.post(f"{PREFIX}/bulk-assign")
@documented(f"{DOC}/bulk-assign", "post",
            "Give many records of one kind to one handler (a leader, with a reason): each row is checked on its own "
            "and answered, a failing row with the reason", body=BulkAssignSchema, response=BulkRowSchema,
            envelope="items", tag=TAG)
def bulk_assign(unit_id: int):
    ensure(current_user, Action.HANDLERS_ASSIGN, g.unit, target=g.unit)
    args = parse_json(BulkAssignSchema())
    entry = queries.entry_or_404(args["record_type"], g.unit)
    results = ops.bulk_assign(queries.records_for_bulk(entry, args["ids"], g.unit),
                              db.session.get(Account, args["account_id"]), args["reason"], unit=g.unit)
    return jsonify({"items": BulkRowSchema(many=True).dump(
        [{"id": r.object_id, "title": r.title, "ok": r.ok, "error": r.error} for r in results])})


@api.get(f"{PREFIX}/candidates")
@documented(f"{DOC}/candidates", "get", "The unit's members who may handle records (of one kind, with "
            "record_type)", response=HandlerCandidateSchema, envelope="items", tag=TAG,
            query={"record_type": ({"type": "string", "maxLength": 64}, "the kind of record")})
def candidates(unit_id: int):
    ensure(current_user, Action.HANDLERS_ASSIGN, g.unit, target=g.unit)
    record_type = request.args.get("record_type", "")
    entry = queries.entry_or_404(record_type, g.unit) if record_type else None
    return jsonify({"items": [{"id": a.id, "name": a.display_name} for a in queries.candidates(g.unit, entry)]})


@api.get(f"{PREFIX}/workload")
@documented(f"{DOC}/workload", "get", "The unit's open and overdue records per handler and per kind of record "
            "(account null: records nobody handles yet)", response=WorkloadRowSchema, envelope="items", tag=TAG)
def workload(unit_id: int):
    ensure(current_user, Action.HANDLERS_WORKLOAD, g.unit, target=g.unit)
    entries, rows = queries.workload(g.unit)
    return jsonify({"items": WorkloadRowSchema(many=True).dump([{
        "account": {"id": row.account_id, "name": row.name} if row.account_id else None,
        "open": row.open, "overdue": row.overdue,
        "by_type": [{"record_type": e.key, "open": row.by_type[e.key].open, "overdue": row.by_type[e.key].overdue}
                    for e in entries if e.key in row.by_type]} for row in rows])})
