"""JSON shapes of villages (清廉村居): villages, grading rounds, gradings, plans and their items (marshmallow).
Inputs are loose: the operations check every field and name each refusal in Chinese (422)."""
from marshmallow import fields, validate

from core.schemas import NAME, Id, Int, LooseSchema, Schema, Text, register_forms


class VillageInSchema(LooseSchema):
    name = Text(100, load_default="")
    code = Text(12, load_default="", metadata={"description": "12-digit division code; the first 9 digits are the "
                                                              "township's own"})
    kind = Text(16, load_default="", metadata={"description": "village (村) or community (社区)"})
    secretary_name = Text(50, load_default="")
    secretary_position = Text(100, load_default="")
    head_name = Text(50, load_default="")
    head_position = Text(100, load_default="")


class CriterionInSchema(LooseSchema):
    name = Text(20, load_default="")
    weight = fields.Raw(load_default=None, metadata={"description": "1–100; the weights add up to 100"})


class RoundInSchema(LooseSchema):
    name = Text(100, load_default="")
    period = Text(20, load_default="", metadata={"description": "e.g. 2026上半年"})
    criteria = fields.List(fields.Nested(CriterionInSchema), load_default=list, validate=validate.Length(max=10),
                           metadata={"description": "empty: 作风纪律 25, 三资管理 25, 村级工程 20, 村务管理运行 15, "
                                                    "群众反映 15"})
    threshold_a = fields.Raw(load_default=None, metadata={"description": "total ≥ this: A (default 85)"})
    threshold_b = fields.Raw(load_default=None, metadata={"description": "total ≥ this: B, else C (default 70)"})
    needs_confirmation = fields.Boolean(load_default=True)


class ScoreInSchema(LooseSchema):
    score = fields.Raw(load_default=None, metadata={"description": "0–100"})
    note = Text(500, load_default="")


class GradingInSchema(LooseSchema):
    """Start (or continue) the village's grading in a round: scores, an override, the submission."""

    round_id = Id(required=True)
    scores = fields.Dict(keys=Text(NAME), values=fields.Nested(ScoreInSchema), load_default=dict,
                         metadata={"description": "criterion key -> {score, note}"})
    override_grade = Text(1, load_default="", metadata={"description": "A, B or C: a leader's override"})
    override_reason = Text(2000, load_default="")
    submit = fields.Boolean(load_default=False)
    version = Int(load_default=None, allow_none=True)


class DecisionInSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("confirm", "send_back")))
    reason = Text(2000, load_default="")


class PlanItemInSchema(LooseSchema):
    problem = Text(2000, load_default="")
    measure = Text(2000, load_default="")
    responsible = Text(50, load_default="")
    responsible_position = Text(100, load_default="")
    deadline = fields.Raw(load_default=None, metadata={"description": "YYYY-MM-DD"})


class PlanItemUpdateSchema(LooseSchema):
    """Only the fields sent change."""
    problem = Text(2000)
    measure = Text(2000)
    responsible = Text(50)
    responsible_position = Text(100)
    deadline = fields.Raw(metadata={"description": "YYYY-MM-DD; a moved deadline needs its reason"})
    reason = Text(2000, load_default="")
    version = fields.Raw(load_default=None, metadata={"description": "the version read (409 if changed)"})


class PlanInSchema(LooseSchema):
    party_secretary = Text(50, load_default="")
    discipline_secretary = Text(50, load_default="")
    requirements = Text(2000, load_default="")
    issued_on = fields.Raw(load_default=None, metadata={"description": "YYYY-MM-DD, default today"})
    items = fields.List(fields.Nested(PlanItemInSchema), load_default=list, validate=validate.Length(max=50))


class CloseItemInSchema(LooseSchema):
    evidence = Text(2000, load_default="")
    closed_on = fields.Raw(load_default=None, metadata={"description": "YYYY-MM-DD, default today"})
    version = Int(load_default=None, allow_none=True)


class VillageSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    code = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    secretary_name = fields.String()
    secretary_position = fields.String()
    head_name = fields.String()
    head_position = fields.String()
    grade = fields.String(allow_none=True)
    graded_on = fields.Date(allow_none=True)
    archived = fields.Function(lambda v: v.archived_at is not None)
    version = fields.Integer()


class CriterionSchema(Schema):
    key = fields.String()
    name = fields.String()
    weight = fields.Integer()


class RoundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    period = fields.String()
    criteria = fields.List(fields.Nested(CriterionSchema))
    threshold_a = fields.Integer()
    threshold_b = fields.Integer()
    needs_confirmation = fields.Boolean()
    state = fields.String()
    state_label = fields.String()
    opened_on = fields.Date()
    closed_on = fields.Date(allow_none=True)


class GradingSchema(Schema):
    id = fields.Integer()
    village_id = fields.Integer()
    village_name = fields.String()
    village_code = fields.String()
    round_id = fields.Integer(allow_none=True)
    kind = fields.String()
    scores = fields.Dict()
    total = fields.Float(allow_none=True)
    computed_grade = fields.String(allow_none=True)
    override_grade = fields.String(allow_none=True)
    override_reason = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    previous_grade = fields.String(allow_none=True)
    state = fields.String()
    state_label = fields.String()
    submitted_on = fields.Date(allow_none=True)
    in_force_on = fields.Date(allow_none=True)
    return_reason = fields.String(allow_none=True)
    version = fields.Integer()


class PlanItemSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    problem = fields.String()
    measure = fields.String()
    responsible = fields.String()
    responsible_position = fields.String()
    deadline = fields.Date()
    state = fields.String()
    state_label = fields.String()
    closed_on = fields.Date(allow_none=True)
    evidence = fields.String(allow_none=True)
    version = fields.Integer()


class PlanSchema(Schema):
    id = fields.Integer()
    village_id = fields.Integer()
    number = fields.String()
    state = fields.String()
    state_label = fields.String()
    issued_on = fields.Date()
    party_secretary = fields.String()
    discipline_secretary = fields.String()
    requirements = fields.String()
    items = fields.List(fields.Nested(PlanItemSchema))


register_forms({"villages.new": VillageInSchema, "villages.edit": VillageInSchema})


class RegradeInSchema(LooseSchema):
    grade = Text(1, load_default="", metadata={"description": "A or B"})
    reason = Text(2000, load_default="")


class VillageReportInSchema(LooseSchema):
    month = Text(7, load_default="", metadata={"description": "YYYY-MM"})
    heard_on = fields.Raw(load_default=None, metadata={"description": "YYYY-MM-DD, default today"})
    heard_by = Text(50, load_default="")
    content = Text(2000, load_default="")


class VillageReportSchema(Schema):
    id = fields.Integer()
    month = fields.String()
    heard_on = fields.Date()
    heard_by = fields.String()
    content = fields.String()
