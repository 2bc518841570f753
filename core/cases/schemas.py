"""JSON shapes of cases (marshmallow): the case with its file, review rounds and execution; the bodies of opening a
case from a lead, writing the file, a step of the review loop and an execution step done."""
from marshmallow import fields, validate

from core.cases.workflow import STEPS
from core.schemas import NAME, Id, Int, LooseSchema, Schema, Text


class CaseOpenSchema(LooseSchema):
    lead_id = Id(required=True, metadata={"description": "a lead of the unit verified with 建议立案"})
    opened_on = Text(10, load_default="", metadata={"description": "立案日期 YYYY-MM-DD (default today)"})


class CaseFileSchema(LooseSchema):
    version = Int(load_default=None, allow_none=True)
    findings = Text(5000, load_default=None, allow_none=True, metadata={"description": "查明的事实"})
    category = Text(16, load_default="", metadata={"description": "party (党纪处分), government (政务处分), "
                                                                  "organisational (组织处理), none (不予处分)"})
    kind = Text(16, load_default="", metadata={"description": "party: warning, serious_warning, remove_post, "
                                                              "probation, expel; government: warning, demerit, "
                                                              "major_demerit, demotion, dismissal, expulsion; "
                                                              "organisational: admonish, adjust, resign, remove, "
                                                              "demote"})
    form = Text(16, load_default="", metadata={"description": "first … fourth (四种形态)"})
    reasons = Text(2000, load_default="")
    step = fields.Dict(keys=Text(NAME), load_default=None, allow_none=True, metadata={
        "description": "an investigation step to add: kind (talk/evidence/letter/other), taken_on, content"})


class CaseTransitionSchema(Schema):
    transition = fields.String(required=True, validate=validate.OneOf(STEPS))
    version = Int(load_default=None, allow_none=True)
    data = fields.Dict(keys=Text(NAME), load_default=dict, metadata={
        "description": "submit: submitted_on; resubmit: answer, submitted_on; review_agree: points (optional), "
                       "reviewed_on; review_send_back / review_change: points, reviewed_on; decide: decided_on, "
                       "note"})


class ExecutionDoneSchema(Schema):
    version = Int(load_default=None, allow_none=True)
    done_on = Text(10, load_default="")
    evidence = Text(1000, load_default="")


class CasePersonSchema(Schema):
    name = fields.String(attribute="person_name")
    position = fields.String(attribute="person_position")
    work_unit = fields.String(attribute="person_work_unit")
    level = fields.String()
    party_member = fields.Boolean(allow_none=True)


class InvestigationStepSchema(Schema):
    id = fields.Integer()
    taken_on = fields.Date()
    kind = fields.String()
    kind_label = fields.String()
    content = fields.String()


class ExecutionStepSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    note = fields.String()
    due_on = fields.Date()
    done_on = fields.Date(allow_none=True)
    evidence = fields.String(allow_none=True)
    version = fields.Integer()


class CaseReviewSchema(Schema):
    id = fields.Integer()
    round = fields.Integer()
    submitted_on = fields.Date()
    due_on = fields.Date()
    proposal = fields.Dict(allow_none=True)
    opinion = fields.String(allow_none=True)
    opinion_label = fields.String()
    points = fields.String(allow_none=True)
    reviewed_on = fields.Date(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    escalation = fields.Integer()


class InvestigationCaseSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    lead_id = fields.Integer()
    lead_number = fields.String()
    summary = fields.String()
    opened_on = fields.Date()
    self_handled = fields.Boolean()
    state = fields.String()
    state_label = fields.String()
    persons = fields.List(fields.Nested(CasePersonSchema))
    steps = fields.List(fields.Nested(InvestigationStepSchema))
    findings = fields.String()
    proposal = fields.Dict(allow_none=True)
    proposal_label = fields.String()
    review_round = fields.Integer()
    review_due_on = fields.Date(allow_none=True)
    decision = fields.Dict(allow_none=True)
    decision_label = fields.String()
    decided_on = fields.Date(allow_none=True)
    sanction = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    execution = fields.List(fields.Nested(ExecutionStepSchema))
    execution_due_on = fields.Date(allow_none=True)
    executed_on = fields.Date(allow_none=True)
    handler_id = fields.Integer(allow_none=True)
    version = fields.Integer()
