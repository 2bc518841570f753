"""JSON shapes of the guidance case library (marshmallow). Inputs are loose: the operations check every field and
list every reason at once in Chinese (422, nothing saved), the anonymisation check among them."""
from marshmallow import fields, validate

from core.schemas import Id, Int, LooseSchema, Schema, Text


class GuidanceCaseInSchema(LooseSchema):
    title = Text(200, load_default="")
    situation = Text(2000, load_default="", metadata={"description": "适用情形 (情形)"})
    scope = Text(2000, load_default="", metadata={"description": "范围"})
    method = Text(2000, load_default="", metadata={"description": "方式"})
    templates = fields.List(Text(100), load_default=list, validate=validate.Length(max=20), metadata={
        "description": "names of the document templates used (their files: /api/v1/u/<unit>/attachments, "
                       "record_type=casebook_cases)"})
    narrative = Text(10000, load_default="", metadata={
        "description": "the anonymised narrative: refused if it holds a name of a person in the unit's records"})
    tags = fields.List(Text(41), load_default=list, validate=validate.Length(max=12), metadata={
        "description": "\"family:value\", family one of 澄清情形, 澄清范围, 澄清方式, 线索处置, 审查调查, 信访举报"})
    version = Int(load_default=None, allow_none=True)


class CaseProposalInSchema(GuidanceCaseInSchema):
    publisher_id = Id(load_default=None, allow_none=True, metadata={
        "description": "the upper unit proposed to: the proposer's city or province"})


class CaseProposalDecisionInSchema(GuidanceCaseInSchema):
    reason = Text(1000, load_default="", metadata={"description": "return: the reason (required)"})


class GuidanceCaseSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    situation = fields.String()
    scope = fields.String()
    method = fields.String()
    templates = fields.List(fields.String())
    narrative = fields.String()
    tags = fields.List(fields.String())
    state = fields.String()
    state_label = fields.String()
    published_on = fields.Date()
    publisher_id = fields.Integer(attribute="unit_id")
    publisher = fields.Function(lambda c: c.unit.name)
    source_unit_name = fields.String(allow_none=True)
    warnings = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    version = fields.Integer()


class FoundGuidanceCaseSchema(GuidanceCaseSchema):
    seen_at = fields.Integer(metadata={"description": "the account's unit through which it is seen"})


class CasebookSearchSchema(Schema):
    items = fields.List(fields.Nested(FoundGuidanceCaseSchema))
    total = fields.Integer()


class CaseProposalSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    situation = fields.String()
    scope = fields.String()
    method = fields.String()
    templates = fields.List(fields.String())
    narrative = fields.String()
    tags = fields.List(fields.String())
    state = fields.String()
    state_label = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda p: p.unit.name)
    publisher_id = fields.Integer()
    publisher = fields.Function(lambda p: p.publisher.name)
    proposed_on = fields.Date()
    return_reason = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    warnings = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    version = fields.Integer()
