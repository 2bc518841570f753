"""JSON shapes of directives (marshmallow)."""
from marshmallow import Schema, fields, validate


class AudienceSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(["all", "levels", "units"]))
    levels = fields.List(fields.String(), load_default=list)
    unit_ids = fields.List(fields.Integer(), load_default=list)


class ReturnFieldSchema(Schema):
    key = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=50))
    type = fields.String(required=True, validate=validate.OneOf(["number", "text", "choice", "date"]))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(), load_default=list)


class PhaseSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class DirectiveCreateSchema(Schema):
    kind = fields.String(load_default="directive", validate=validate.OneOf(["directive", "campaign"]))
    title = fields.String(required=True)
    body = fields.String(load_default="")
    requires_ack = fields.Boolean(load_default=True)
    audience = fields.Nested(AudienceSchema, required=True)
    return_fields = fields.List(fields.Nested(ReturnFieldSchema), load_default=list)
    return_due_on = fields.Date(load_default=None, allow_none=True)
    return_cadence = fields.String(load_default=None, allow_none=True,
                                   metadata={"description": "weekly:<1-7> (ISO weekday) or monthly:<1-28>"})
    return_ends_on = fields.Date(load_default=None, allow_none=True)
    phases = fields.List(fields.Nested(PhaseSchema), load_default=list)


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
    period = fields.String(required=True)
    values = fields.Dict(required=True)


class ReturnSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    period = fields.String()
    due_on = fields.Date()
    values = fields.Dict()
    submitted_at = fields.DateTime()


class ReceiptSchema(Schema):
    id = fields.Integer()
    directive_id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda r: r.unit.name)
    state = fields.String()
    acknowledged_at = fields.DateTime(allow_none=True)
    forwarded_as_id = fields.Integer(allow_none=True)
