"""JSON shapes of directives (marshmallow)."""
from marshmallow import fields, validate

from core.calendar import estimated_flag
from core.schemas import CONTENT, NAME, Day, Id, Schema, Text, excerpt, register_forms
from core.timefmt import LocalDateTime


class AudienceSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(["all", "levels", "units"]))
    levels = fields.List(Text(16), load_default=list, validate=validate.Length(max=10))
    unit_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=5000))


class ReturnFieldSchema(Schema):
    key = fields.String(validate=[validate.Length(max=32), validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$")])
    label = fields.String(required=True, validate=validate.Length(min=1, max=50))
    type = fields.String(required=True, validate=validate.OneOf(["number", "text", "choice", "date"]))
    required = fields.Boolean(load_default=False)
    choices = fields.List(Text(NAME), load_default=list, validate=validate.Length(max=50))


class PhaseSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    starts_on = Day(required=True)
    ends_on = Day(required=True)


class DirectiveCreateSchema(Schema):
    kind = fields.String(load_default="directive", validate=validate.OneOf(["directive", "campaign"]))
    title = Text(200, required=True)
    body = Text(CONTENT, load_default="")
    requires_ack = fields.Boolean(load_default=True)
    audience = fields.Nested(AudienceSchema, required=True)
    return_fields = fields.List(fields.Nested(ReturnFieldSchema), load_default=list, validate=validate.Length(max=50))
    return_due_on = Day(load_default=None, allow_none=True)
    return_cadence = Text(16, load_default=None, allow_none=True,
                          metadata={"description": "weekly:<1-7> (ISO weekday) or monthly:<1-28>"})
    return_ends_on = Day(load_default=None, allow_none=True)
    phases = fields.List(fields.Nested(PhaseSchema), load_default=list, validate=validate.Length(max=20))


class PhaseOutSchema(Schema):
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class DirectiveSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer(metadata={"description": "the sending unit"})
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    state = fields.String()
    requires_ack = fields.Boolean()
    sent_on = fields.Date()
    return_fields = fields.List(fields.Dict())
    return_due_on = fields.Date(allow_none=True)
    return_cadence = fields.String(allow_none=True)
    return_ends_on = fields.Date(allow_none=True)
    forwarded_from_id = fields.Integer(allow_none=True)
    phases = fields.List(fields.Nested(PhaseOutSchema))


class ReturnCreateSchema(Schema):
    period = Text(16, required=True)
    values = fields.Dict(keys=Text(32), required=True, validate=validate.Length(max=50))


class ReturnSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    period = fields.String()
    due_on = fields.Date()
    due_on_estimated = estimated_flag()
    values = fields.Dict()
    submitted_at = LocalDateTime()


class ReceiptSchema(Schema):
    id = fields.Integer()
    directive_id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda r: r.unit.name)
    state = fields.String()
    acknowledged_at = LocalDateTime(allow_none=True)
    forwarded_as_id = fields.Integer(allow_none=True)


class DirectiveListItemSchema(DirectiveSchema):
    """A directive in a list: the start of its text, not the whole."""

    class Meta:
        exclude = ("body",)

    body_excerpt = fields.Function(lambda d: excerpt(d.body), metadata={"type": "string"})


class DirectiveListsSchema(Schema):
    sent = fields.List(fields.Nested(DirectiveListItemSchema), metadata={"description": "sent by the unit"})
    received = fields.List(fields.Nested(DirectiveListItemSchema), metadata={"description": "received by the unit"})


class CurrentPeriodSchema(Schema):
    key = fields.String()
    due_on = fields.String()


class DirectiveDetailSchema(DirectiveSchema):
    current_period = fields.Nested(CurrentPeriodSchema, allow_none=True, metadata={"description": "the return due now"})
    current_phase = fields.String(allow_none=True)
    receipt = fields.Nested(ReceiptSchema, metadata={"x_optional": True,
                                                     "description": "a receiving unit's own receipt"})


class TrackedReceiptSchema(ReceiptSchema):
    returns = fields.List(fields.Nested(ReturnSchema))


class TrackingSchema(Schema):
    receipts = fields.List(fields.Nested(TrackedReceiptSchema))
    late = fields.Dict(keys=fields.String(), values=fields.List(fields.Integer()),
                       metadata={"description": "period -> the units late with their return"})
    rollup = fields.Dict(allow_none=True, metadata={"description": "the chosen period's sums, per child too"})


register_forms({"directives.new": DirectiveCreateSchema, "directives.forward": DirectiveCreateSchema})
