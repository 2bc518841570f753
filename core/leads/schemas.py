"""JSON shapes of leads (marshmallow). A lead has no informant: none goes in, none comes out."""
from marshmallow import fields, validate

from core.calendar import estimated_flag
from core.leads.workflow import WAYS
from core.schemas import NAME, Day, Int, LooseSchema, Schema, Text, register_forms


class PersonInSchema(LooseSchema):
    name = Text(NAME, load_default="")
    position = Text(100, load_default="")
    work_unit = Text(100, load_default="")
    level = Text(16, load_default="", metadata={"description": "village, staff, township, county, city"})
    party_member = fields.Boolean(load_default=None, allow_none=True)


class LeadInSchema(LooseSchema):
    source = Text(16, load_default="", metadata={
        "description": "assigned (上级交办), inspection_tour (巡察移交), audit (审计移送), other_body (其他机关移送), "
                       "supervision (监督检查发现), other; a petition becomes a lead by conversion only"})
    source_note = Text(200, load_default="")
    received_on = Day(until="today", lenient=True, load_default=None, allow_none=True,
                      metadata={"description": "YYYY-MM-DD, 2000-01-01 … today"})
    summary = Text(300, load_default="")
    persons = fields.List(fields.Nested(PersonInSchema), load_default=list, validate=validate.Length(max=20))


class LeadTransitionSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf(WAYS))
    version = Int(load_default=None, allow_none=True)
    data = fields.Dict(keys=Text(NAME), load_default=dict, metadata={
        "description": "talk: kind (talk/letter), content, reply, assessment (accepted/reminded/verify), form; "
                       "verify: report, recommendation (file/close), form; shelve: reason, review_on; close: reason, "
                       "form; each: disposed_on (default today). form: first … fourth (四种形态)"})


class PersonSchema(Schema):
    name = fields.String(attribute="person_name")
    position = fields.String(attribute="person_position")
    work_unit = fields.String(attribute="person_work_unit")
    level = fields.String()
    party_member = fields.Boolean(allow_none=True)


class LeadSchema(Schema):
    """A lead as its own unit's API shows it."""

    id = fields.Integer()
    number = fields.String()
    source = fields.String()
    source_label = fields.String()
    source_note = fields.String()
    petition_id = fields.Integer(allow_none=True)
    summary = fields.String()
    received_on = fields.Date()
    persons = fields.List(fields.Nested(PersonSchema))
    state = fields.String()
    state_label = fields.String()
    due_on = fields.Date(allow_none=True)
    due_on_estimated = estimated_flag()
    way = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    disposed_on = fields.Date(allow_none=True)
    disposal = fields.Dict(allow_none=True)
    handler_id = fields.Integer(allow_none=True)
    version = fields.Integer()


register_forms({"leads.new": LeadInSchema})
