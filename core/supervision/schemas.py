"""JSON shapes of supervision items (marshmallow)."""
from marshmallow import Schema, fields, validate


class ProblemInSchema(Schema):
    description = fields.String(required=True)
    requirement = fields.String(load_default="")


class ItemCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["registered", "rectification", "assigned"]))
    recipient_unit_id = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(load_default="")
    due_on = fields.Date(required=True)
    report_cadence = fields.String(load_default=None, allow_none=True,
                                   metadata={"description": "weekly:<1-7>, required for registered supervision"})
    subject_number = fields.String(load_default=None, allow_none=True,
                                   metadata={"description": "the receiver's petition number (registered)"})
    problems = fields.List(fields.Nested(ProblemInSchema), load_default=list)


class StepSchema(Schema):
    step = fields.String(required=True, validate=validate.OneOf(
        ["receive", "progress", "done", "accept", "send_back", "close"]))
    body = fields.String(load_default="")
    reason = fields.String(load_default="")


class ProblemSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    description = fields.String()
    requirement = fields.String()
    answer = fields.String(allow_none=True)
    checked = fields.Boolean()


class ReportSchema(Schema):
    reported_on = fields.Date()
    body = fields.String()
    final = fields.Boolean()


class ItemSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    unit_id = fields.Integer(metadata={"description": "the issuing unit"})
    recipient_unit_id = fields.Integer()
    title = fields.String()
    body = fields.String()
    state = fields.String()
    issued_on = fields.Date()
    due_on = fields.Date(allow_none=True)
    report_cadence = fields.String(allow_none=True)
    next_report_on = fields.Date(allow_none=True)
    subject_label = fields.String(allow_none=True)
    escalation = fields.Integer()
    talk = fields.Dict(allow_none=True)
    problems = fields.List(fields.Nested(ProblemSchema))
    reports = fields.List(fields.Nested(ReportSchema))
