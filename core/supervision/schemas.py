"""JSON shapes of supervision items (marshmallow)."""
from marshmallow import fields, validate

from core.calendar import estimated_flag
from core.schemas import CONTENT, TEXT, Day, Id, Schema, Text, excerpt, register_forms


class ProblemInSchema(Schema):
    description = Text(TEXT, required=True)
    requirement = Text(TEXT, load_default="")


class ItemCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["registered", "rectification", "assigned"]))
    recipient_unit_id = Id(required=True)
    title = Text(200, required=True)
    body = Text(CONTENT, load_default="")
    due_on = Day(required=True)
    report_cadence = Text(16, load_default=None, allow_none=True,
                          metadata={"description": "weekly:<1-7>, required for registered supervision"})
    subject_number = Text(64, load_default=None, allow_none=True,
                          metadata={"description": "the receiver's petition number (registered)"})
    problems = fields.List(fields.Nested(ProblemInSchema), load_default=list, validate=validate.Length(max=100))


class StepSchema(Schema):
    step = fields.String(required=True, validate=validate.OneOf(
        ["receive", "progress", "done", "accept", "send_back", "close"]))
    body = Text(TEXT, load_default="")
    reason = Text(TEXT, load_default="")


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
    due_on_estimated = estimated_flag()
    report_cadence = fields.String(allow_none=True)
    next_report_on = fields.Date(allow_none=True)
    subject_label = fields.String(allow_none=True)
    escalation = fields.Integer()
    talk = fields.Dict(allow_none=True)
    problems = fields.List(fields.Nested(ProblemSchema))
    reports = fields.List(fields.Nested(ReportSchema))


class ItemListItemSchema(ItemSchema):
    """An item in a list: the start of its text, without its problems' and reports' texts."""

    class Meta:
        exclude = ("body", "problems", "reports", "talk")

    body_excerpt = fields.Function(lambda i: excerpt(i.body), metadata={"type": "string"})


register_forms({"supervision.new": ItemCreateSchema, "supervision.step": StepSchema})
