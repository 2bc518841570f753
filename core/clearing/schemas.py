"""JSON shapes of clearing names (marshmallow). Inputs stay loose where the operations validate
each field with the message the user reads (Chinese, per field, 422)."""
from marshmallow import EXCLUDE, Schema, fields, validate

from core.clearing.workflow import CASE_FLOW


class SubjectInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    subject_kind = fields.String(load_default="person", metadata={"description": "person or unit"})
    person_name = fields.String(load_default="")
    person_position = fields.String(load_default="")
    person_work_unit = fields.String(load_default="")
    priority_flags = fields.List(fields.String(), load_default=list,
                                 metadata={"description": "frontline, reform, rural, land, good_record"})


class ApplicationInSchema(SubjectInSchema):
    """A green-channel application 绿色通道."""

    accusation = fields.String(load_default="")
    request = fields.String(load_default="")
    reference = fields.String(load_default="")
    applied_on = fields.String(load_default="", metadata={"description": "YYYY-MM-DD"})


class CandidateInSchema(SubjectInSchema):
    """A concluded unfounded accusation for the pool 备选库."""

    reference = fields.String(load_default="")
    concluded_on = fields.String(load_default="", metadata={"description": "YYYY-MM-DD, within three years"})
    accusation = fields.String(load_default="")
    finding = fields.String(load_default="")


class ScreeningSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "unsuitable"]))
    reason = fields.String(load_default="")
    version = fields.Integer(load_default=None, allow_none=True)


class TransitionInSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf([t.name for t in CASE_FLOW.transitions]))
    version = fields.Integer(load_default=None, allow_none=True,
                             metadata={"description": "the version read; a stale one answers 409"})
    data = fields.Dict(load_default=dict, metadata={"description": "the step's fields (see the case page's forms)"})


class VisitInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    visited_on = fields.String(load_default="")
    visitors = fields.String(load_default="")
    mental_state = fields.String(load_default="")
    work_performance = fields.String(load_default="")
    family_situation = fields.String(load_default="")
    notes = fields.String(load_default="")
    version = fields.Integer(load_default=None, allow_none=True)


class VisitSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    kind = fields.String()
    due_on = fields.Date()
    visited_on = fields.Date(allow_none=True)
    visitors = fields.String()
    mental_state = fields.String()
    work_performance = fields.String()
    family_situation = fields.String()
    notes = fields.String()
    version = fields.Integer()


class _SubjectOutSchema(Schema):
    """What a candidate and a case both say about whom the accusation concerned."""

    id = fields.Integer()
    reference = fields.String()
    subject_kind = fields.String()
    person_name = fields.String()
    person_position = fields.String()
    person_work_unit = fields.String()
    accusation = fields.String()
    finding = fields.String()
    priority_flags = fields.List(fields.String())
    batch_id = fields.Integer(allow_none=True)
    state = fields.String()
    version = fields.Integer()


class CandidateSchema(_SubjectOutSchema):
    concluded_on = fields.Date()
    screening_reason = fields.String(allow_none=True)


class CaseSchema(_SubjectOutSchema):
    unit_id = fields.Integer()
    number = fields.String()
    origin = fields.String()
    request = fields.String()
    applied_on = fields.Date()
    sensitive = fields.Boolean()
    state_label = fields.Function(lambda c: CASE_FLOW.label(c.state))
    due_on = fields.Date(allow_none=True)
    assessment = fields.Dict(allow_none=True)
    override_reason = fields.String(allow_none=True)
    review = fields.Dict(allow_none=True)
    reviewing_unit_id = fields.Integer(allow_none=True)
    plan = fields.Dict(allow_none=True)
    clearing = fields.Dict(allow_none=True)
    cleared_on = fields.Date(allow_none=True)
    feedback = fields.Dict(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    closed_reason = fields.String(allow_none=True)
    allowed_transitions = fields.List(fields.String(), dump_default=None,
                                      metadata={"description": "the steps this account may take now"})
    visits = fields.List(fields.Nested(VisitSchema))
