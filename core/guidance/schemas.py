"""JSON shapes of 联系指导 (marshmallow). Inputs are loose: the operations check every field and list every reason at once
in Chinese (422, nothing saved). No answer carries a township's record: an office's townships are named, their
figures are numbers."""
from marshmallow import fields, validate

from core.schemas import Id, LooseSchema, Schema, Text


class OfficeInSchema(LooseSchema):
    name = Text(100, load_default="", metadata={"description": "如：第一纪检监察室"})
    duties = Text(2000, load_default="")
    member_account_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50), metadata={
        "description": "ids of the county's staff (accounts reading records there) in the office"})
    township_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=200), metadata={
        "description": "ids of the county's townships the office guides from today (taken over from another office)"})


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class OfficeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    duties = fields.String()
    members = fields.List(fields.Nested(PersonSchema))
    townships = fields.List(fields.Nested(PersonSchema))
    version = fields.Integer()


class MeetingInSchema(LooseSchema):
    office_id = Id(load_default=None, allow_none=True, metadata={"description": "an office the account belongs to"})
    held_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD, not after today"})
    place = Text(200, load_default="")
    attendees = fields.List(Text(100), load_default=list, validate=validate.Length(max=30),
                            metadata={"description": "attendees' names"})
    township_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=200),
                               metadata={"description": "townships the office guides"})
    notes = Text(2000, load_default="")
    decisions = fields.List(Text(2000), load_default=list, validate=validate.Length(max=20))


class MeetingSchema(Schema):
    id = fields.Integer()
    office_id = fields.Integer()
    office_name = fields.Function(lambda m: m.office.name)
    held_on = fields.Date()
    place = fields.String()
    attendees = fields.List(fields.String())
    townships = fields.List(fields.Nested(PersonSchema))
    notes = fields.String()
    decisions = fields.List(fields.String())
    version = fields.Integer()


class ProblemInSchema(LooseSchema):
    description = Text(2000, load_default="")
    requirement = Text(2000, load_default="")


class VisitInSchema(LooseSchema):
    office_id = Id(load_default=None, allow_none=True, metadata={"description": "an office the account belongs to"})
    township_id = Id(load_default=None, allow_none=True, metadata={"description": "a township the office guides"})
    visited_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD, not after today"})
    staff_account_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=30),
                                    metadata={"description": "the office's members on the visit"})
    checked = Text(2000, load_default="", metadata={"description": "what was checked (督查指导的内容)"})
    notes = Text(2000, load_default="")
    problems = fields.List(fields.Nested(ProblemInSchema), load_default=list, validate=validate.Length(max=20))


class ProblemSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    description = fields.String()
    requirement = fields.String()
    item_id = fields.Integer(allow_none=True, metadata={"description": "the rectification order it became"})
    raised_on = fields.Date(allow_none=True)


class VisitSchema(Schema):
    id = fields.Integer()
    office_id = fields.Integer()
    office_name = fields.Function(lambda v: v.office.name)
    township_id = fields.Integer()
    township_name = fields.String()
    visited_on = fields.Date()
    staff = fields.List(fields.Nested(PersonSchema))
    checked = fields.String()
    notes = fields.String()
    problems = fields.List(fields.Nested(ProblemSchema))
    version = fields.Integer()


class RaiseInSchema(LooseSchema):
    due_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD: the rectification's deadline"})

