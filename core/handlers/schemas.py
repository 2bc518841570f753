"""JSON shapes of handlers (marshmallow): a record's handler and history, a reassignment, a bulk assignment and
its rows, the unit's workload."""
from marshmallow import fields, validate

from core.schemas import SUMMARY, Id, Int, Schema, Text


class AccountRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class HandlerChangeSchema(Schema):
    changed_at = fields.DateTime()
    from_account = fields.Nested(AccountRefSchema, allow_none=True)
    to_account = fields.Nested(AccountRefSchema, allow_none=True)
    reason = fields.String(allow_none=True)
    changed_by = fields.Nested(AccountRefSchema, allow_none=True)


class HandlerSchema(Schema):
    record_type = fields.String()
    record_id = fields.Integer()
    handler = fields.Nested(AccountRefSchema, allow_none=True)
    history = fields.List(fields.Nested(HandlerChangeSchema))


class ReassignSchema(Schema):
    record_type = Text(64, required=True, metadata={"description": "the record's kind (petitions, clearing_cases, "
                                                                    "backlog_cases, supervision_items, …)"})
    account_id = Id(required=True)
    reason = Text(SUMMARY, min_length=1, required=True, metadata={"description": "why the record changes hands (kept in its history)"})
    version = Int(1, load_default=None, allow_none=True)


class BulkAssignSchema(Schema):
    record_type = Text(64, required=True, metadata={"description": "petitions, clearing_cases, backlog_cases, "
                                                                    "supervision_items, …"})
    ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))
    account_id = Id(required=True)
    reason = Text(SUMMARY, min_length=1, required=True)


class BulkRowSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    ok = fields.Boolean()
    error = fields.String(allow_none=True)


class HandlerCandidateSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class WorkloadCellSchema(Schema):
    record_type = fields.String()
    open = fields.Integer()
    overdue = fields.Integer()


class WorkloadRowSchema(Schema):
    account = fields.Nested(AccountRefSchema, allow_none=True, metadata={"description": "null: nobody's yet"})
    open = fields.Integer()
    overdue = fields.Integer()
    by_type = fields.List(fields.Nested(WorkloadCellSchema))

