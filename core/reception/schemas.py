"""JSON shapes of the reception room (marshmallow). Inputs are loose: the operations check every field and list
every reason at once in Chinese (422, nothing saved). The person received is accepted on logging and never
returned: revealing them stays a page with a stated reason, audited (reception.views.reveal)."""
from marshmallow import fields, validate

from core.schemas import NAME, Id, Int, LooseSchema, Schema, Text, register_forms


class PersonInSchema(LooseSchema):
    name = Text(NAME, load_default="")
    id_number = Text(18, load_default="")
    phone = Text(30, load_default="")
    address = Text(200, load_default="")


class ReceptionInSchema(LooseSchema):
    kind = Text(16, load_default="", metadata={"description": "walk_in (接访), visit (下访) or appointment (约访)"})
    received_on = Text(10, load_default="", metadata={"description": "YYYY-MM-DD, not after today"})
    staff_id = Id(load_default=None, allow_none=True, metadata={
        "description": "the unit's staff member who received (default: the day's receptionist)"})
    place = Text(200, load_default="", metadata={"description": "required for a visit (下访): the village"})
    anonymous = fields.Boolean(load_default=False)
    person = fields.Nested(PersonInSchema, load_default=dict, metadata={
        "description": "the person received: sealed at rest, never returned"})
    matter = Text(2000, load_default="")
    outcome = Text(2000, load_default="")


class ConvertInSchema(LooseSchema):
    accused_name = Text(NAME, load_default="")
    accused_position = Text(100, load_default="")
    accused_work_unit = Text(100, load_default="")
    accused_level = Text(16, load_default="")
    category = Text(50, load_default="", metadata={"description": "one of the unit's petition categories"})
    summary = Text(300, load_default="", metadata={"description": "default: the reception's matter"})
    content = Text(2000, load_default="")
    version = Int(load_default=None, allow_none=True)


class RotaInSchema(LooseSchema):
    month = Text(7, load_default="", metadata={"description": "YYYY-MM"})
    days = fields.Dict(keys=fields.String(validate=validate.Length(max=10)), values=fields.Raw(allow_none=True),
                       load_default=None, allow_none=True, metadata={
                           "description": "working day (YYYY-MM-DD) -> account id of the receptionist; the month's "
                                          "duties become exactly these"})
    account_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50), metadata={
        "description": "instead of days: the staff taking turns (轮流坐班), round-robin over the working days"})
    version = Int(load_default=None, allow_none=True)


class SwapInSchema(LooseSchema):
    first_day = Text(10, load_default="", metadata={"description": "YYYY-MM-DD: a day with a receptionist"})
    second_day = Text(10, load_default="", metadata={"description": "the other staff member's day (对调); or empty"})
    second_account_id = Id(load_default=None, allow_none=True, metadata={
        "description": "without second_day: the staff member covering the first day (代班)"})
    reason = Text(500, load_default="")


class ReceptionSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    received_on = fields.Date()
    staff_id = fields.Integer(attribute="staff_account_id", allow_none=True)
    staff_name = fields.String()
    place = fields.String()
    anonymous = fields.Boolean()
    matter = fields.String()
    outcome = fields.String()
    petition_id = fields.Integer(allow_none=True)
    petition_number = fields.String(allow_none=True)
    converted_on = fields.Date(allow_none=True)
    version = fields.Integer()


class DutySchema(Schema):
    day = fields.Date()
    weekday = fields.String()
    workday = fields.Boolean()
    makeup = fields.Boolean(metadata={"description": "调休: a weekend day that is a working day"})
    holiday = fields.Boolean()
    covered = fields.Boolean()
    staff_id = fields.Integer(allow_none=True)
    staff_name = fields.String(allow_none=True)


class SwapSchema(Schema):
    id = fields.Integer()
    first_day = fields.Date()
    first_name = fields.String()
    second_day = fields.Date(allow_none=True)
    second_name = fields.String()
    reason = fields.String()


class RotaSchema(Schema):
    month = fields.String()
    set = fields.Boolean(metadata={"description": "whether the leader set a rota for the month"})
    working_days = fields.Integer()
    covered = fields.Integer()
    uncovered = fields.Integer()
    days = fields.List(fields.Nested(DutySchema))
    swaps = fields.List(fields.Nested(SwapSchema))
    version = fields.Integer(allow_none=True)


register_forms({"reception.new": ReceptionInSchema, "reception.convert": ConvertInSchema,
                "reception.swap": SwapInSchema})
