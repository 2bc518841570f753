"""JSON shapes of on-site meetings (marshmallow). Inputs are loose: the operations check every field and list every
reason at once in Chinese (422, nothing saved). An issue's villager is output only where they agreed to be named."""
from marshmallow import fields, validate

from core.schemas import NAME, Id, Int, LooseSchema, Schema, Text



class TourInSchema(LooseSchema):
    name = Text(100, load_default="")
    leader_name = Text(NAME, load_default="", metadata={"description": "组长"})
    members = fields.List(Text(NAME), load_default=list, validate=validate.Length(max=30), metadata={"description": "members' names"})
    account_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=30), metadata={
        "description": "ids of the county's leaders/officers acting on the tour (warned of overdue issues)"})
    starts_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD"})
    ends_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD"})
    village_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=500), metadata={
        "description": "ids of villages of the county's townships covered by the tour"})


class TourSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    leader_name = fields.String()
    members = fields.List(fields.String())
    account_ids = fields.List(fields.Integer())
    starts_on = fields.Date()
    ends_on = fields.Date()
    villages = fields.List(fields.Dict())
    version = fields.Integer()


class TourUpdateSchema(TourInSchema):
    version = Int(load_default=None, allow_none=True, metadata={"description": "the version read (409 if changed)"})


class MeetingUpdateSchema(LooseSchema):
    place = Text(200, load_default="")
    leaders = fields.List(Text(100), load_default=list, validate=validate.Length(max=30))
    departments = fields.List(Text(100), load_default=list, validate=validate.Length(max=30))
    version = Int(load_default=None, allow_none=True)


class DeadlineInSchema(LooseSchema):
    deadline = Text(10, load_default="", metadata={"description": "the new deadline, YYYY-MM-DD"})
    reason = Text(2000, load_default="", metadata={"description": "why it moves (kept in the audit trail)"})
    version = Int(load_default=None, allow_none=True)


class MeetingInSchema(LooseSchema):
    tour_id = Id(load_default=None, allow_none=True)
    village_id = Id(load_default=None, allow_none=True, metadata={"description": "one of the tour's villages"})
    held_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD, within the tour's period"})
    place = Text(200, load_default="")
    leaders = fields.List(Text(100), load_default=list, validate=validate.Length(max=30), metadata={"description": "attending leaders"})
    departments = fields.List(Text(100), load_default=list, validate=validate.Length(max=30), metadata={
        "description": "attending county departments (县直部门): a list"})


class MeetingSchema(Schema):
    id = fields.Integer()
    tour_id = fields.Integer()
    tour_name = fields.Function(lambda m: m.tour.name)
    village_id = fields.Integer()
    village_name = fields.String()
    village_code = fields.String()
    township_id = fields.Integer()
    township_name = fields.String()
    held_on = fields.Date()
    place = fields.String()
    leaders = fields.List(fields.String())
    departments = fields.List(fields.String())
    version = fields.Integer()


class IssueInSchema(LooseSchema):
    category = Text(32, load_default="", metadata={"description": "a code of the county's categories"})
    summary = Text(2000, load_default="")
    named = fields.Boolean(load_default=False, metadata={"description": "true: the villager agrees to be named"})
    villager_name = Text(NAME, load_default="", metadata={"description": "sealed at rest; required when named"})
    outcome = Text(16, load_default="", metadata={"description": "answered (当场答复) or registered (登记交办)"})
    answer = Text(2000, load_default="")
    body_kind = Text(16, load_default="", metadata={"description": "department (县直部门) or township"})
    body_name = Text(100, load_default="")
    body_unit_id = Id(load_default=None, allow_none=True, metadata={"description": "one of the county's townships"})
    deadline = Text(10, load_default="", metadata={"description": "YYYY-MM-DD"})


class ResolveInSchema(LooseSchema):
    evidence = Text(2000, load_default="")
    done_on = Text(10, load_default="")
    version = Int(load_default=None, allow_none=True)


def _villager(issue) -> str | None:
    return issue.villager_name if issue.named else None


class IssueSchema(Schema):
    id = fields.Integer()
    meeting_id = fields.Integer()
    seq = fields.Integer()
    category = fields.String(attribute="category_code")
    category_name = fields.String()
    summary = fields.String()
    named = fields.Boolean()
    villager_name = fields.Function(_villager, allow_none=True)
    outcome = fields.String()
    outcome_label = fields.String()
    answer = fields.String(allow_none=True)
    body_kind = fields.String(allow_none=True)
    body_name = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)
    state = fields.String()
    state_label = fields.String()
    done_on = fields.Date(allow_none=True)
    evidence = fields.String(allow_none=True)
    version = fields.Integer()
