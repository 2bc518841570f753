"""JSON shapes of clearing names (marshmallow). Inputs stay loose where the operations validate
each field with the message the user reads (Chinese, per field, 422)."""
from marshmallow import fields, validate

from core.calendar import estimated_flag
from core.clearing.workflow import CASE_FLOW
from core.schemas import NAME, SUMMARY, Day, Int, LooseSchema, Schema, Text, excerpt, register_forms


class SubjectInSchema(LooseSchema):
    subject_kind = Text(16, load_default="person", metadata={"description": "person or unit"})
    person_name = Text(100, load_default="")
    person_position = Text(100, load_default="")
    person_work_unit = Text(100, load_default="")
    priority_flags = fields.List(Text(16), load_default=list, validate=validate.Length(max=10),
                                 metadata={"description": "frontline, reform, rural, land, good_record"})


class ApplicationInSchema(SubjectInSchema):
    """A green-channel application 绿色通道."""

    accusation = Text(2000, load_default="")
    request = Text(2000, load_default="")
    reference = Text(64, load_default="")
    applied_on = Day(lenient=True, load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD, 2000-01-01 … today"})


class CandidateInSchema(SubjectInSchema):
    """A concluded unfounded accusation for the pool 备选库."""

    reference = Text(64, load_default="")
    concluded_on = Day(lenient=True, load_default=None, allow_none=True,
                       metadata={"description": "YYYY-MM-DD, within three years, not after today"})
    accusation = Text(2000, load_default="")
    finding = Text(2000, load_default="")


class ScreeningSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "unsuitable"]))
    reason = Text(SUMMARY, load_default="")
    version = Int(load_default=None, allow_none=True)


class CandidateFlagsSchema(Schema):
    priority_flags = fields.List(Text(16), required=True, metadata={
        "description": "frontline, reform, rural, land, good_record (an empty list: no priority)"})
    version = Int(load_default=None, allow_none=True)


class TransitionInSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf([t.name for t in CASE_FLOW.transitions]))
    version = Int(load_default=None, allow_none=True,
                  metadata={"description": "the version read; a stale one answers 409"})
    data = fields.Dict(keys=Text(NAME), load_default=dict, metadata={"description": "the step's fields (see the case page's forms)"})


class VisitInSchema(LooseSchema):
    visited_on = Day(lenient=True, load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD, 2000-01-01 … today"})
    visitors = Text(200, load_default="")
    mental_state = Text(1000, load_default="")
    work_performance = Text(1000, load_default="")
    family_situation = Text(1000, load_default="")
    notes = Text(2000, load_default="")
    version = Int(load_default=None, allow_none=True)


class VisitSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    kind = fields.String()
    due_on = fields.Date()
    due_on_estimated = estimated_flag()
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
    due_on_estimated = estimated_flag()
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


class CaseListItemSchema(CaseSchema):
    """A case in the queue: the start of the accusation, not the chain's texts (a list answer stays small)."""

    class Meta:
        exclude = ("accusation", "finding", "request", "assessment", "review", "plan", "clearing", "feedback",
                   "allowed_transitions", "visits")

    accusation_excerpt = fields.Function(lambda c: excerpt(c.accusation), metadata={"type": "string"})


class CandidateListItemSchema(CandidateSchema):
    class Meta:
        exclude = ("accusation", "finding")

    accusation_excerpt = fields.Function(lambda c: excerpt(c.accusation), metadata={"type": "string"})


class ReviewGivenSchema(Schema):
    """The answer to a higher unit's review step: its share ends with the review, so the case is not shown."""

    id = fields.Integer()
    state = fields.String()
    review_given = fields.Boolean()


class ScreeningResultSchema(Schema):
    candidate = fields.Nested(CandidateSchema)
    case = fields.Nested(CaseSchema, allow_none=True, metadata={"description": "the case opened on acceptance"})


register_forms({"clearing.apply": ApplicationInSchema, "clearing.new_candidate": CandidateInSchema,
                "clearing.record_visit": VisitInSchema, "clearing.screen": ScreeningSchema})
