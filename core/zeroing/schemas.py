"""JSON shapes of the zeroing ledger (marshmallow): backlog cases with their petition's public fields."""
from marshmallow import fields, validate

from core.schemas import NAME, Int, Schema, Text

from core.zeroing.workflow import STEP_ACTIONS


class BacklogVisitSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    visited_on = fields.Date()
    leader = fields.String()
    place = fields.String()
    met = fields.String()
    outcome = fields.String()


class BacklogCaseSchema(Schema):
    id = fields.Integer()
    petition_id = fields.Integer()
    petition_number = fields.Function(lambda c: c.petition.number)
    accused_name = fields.Function(lambda c: c.petition.accused_name)
    flags = fields.Function(lambda c: list(c.petition.flags or []))
    source = fields.String()
    state = fields.String()
    state_label = fields.String()
    owner_name = fields.String(allow_none=True)
    owner_position = fields.String(allow_none=True)
    task_force = fields.String(allow_none=True)
    plan = fields.String(allow_none=True)
    target_on = fields.Date(allow_none=True)
    closed_out_on = fields.Date(allow_none=True)
    closeout = fields.Dict(allow_none=True)
    sampled = fields.Boolean()
    rechecks = fields.List(fields.Dict())
    reopened_count = fields.Integer()
    visits = fields.List(fields.Nested(BacklogVisitSchema))
    version = fields.Integer()


class CaseStepSchema(Schema):
    step = fields.String(required=True, validate=validate.OneOf(list(STEP_ACTIONS)), metadata={"description": "adopt, decline, plan, visit, close_out, recheck"})
    version = Int(load_default=None, allow_none=True)
    data = fields.Dict(keys=Text(NAME), load_default=dict)


class LedgerSchema(Schema):
    items = fields.List(fields.Nested(BacklogCaseSchema))
    figures = fields.Dict(metadata={"description": "the subtree's figures this week"})
    phase = fields.String(allow_none=True, metadata={"description": "the campaign's current phase"})
