"""JSON shapes of the ledgers (marshmallow). Inputs are loose: the operations check every field and list every reason
at once in Chinese (422, nothing saved)."""
from marshmallow import fields, validate

from core.schemas import Id, Int, LooseSchema, Schema, Text


class LedgerSchema(Schema):
    number = fields.Integer(metadata={"description": "the ledger's number in the catalogue (第N项): …/ledgers/{number}/rows"})
    code = fields.String()
    title = fields.String()
    kind = fields.String(metadata={"description": "generated (from the platform's records) / kept (entered)"})
    period = fields.String(metadata={"description": "weekly / monthly / quarterly / halfyearly / yearly"})
    columns = fields.List(fields.Dict(), metadata={"description": "a kept ledger's typed columns"})
    rows_this_month = fields.Integer()
    total = fields.Integer()
    last_date = fields.Date(allow_none=True)
    state = fields.String(metadata={"description": "current / stale / missing / unavailable"})
    state_label = fields.String()


class CompletenessSchema(Schema):
    unit_id = fields.Integer()
    name = fields.String()
    current = fields.Integer()
    stale = fields.Integer()
    missing = fields.Integer()
    total = fields.Integer()


class RowsSchema(Schema):
    code = fields.String()
    header = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))
    total = fields.Integer()


class RowInSchema(LooseSchema):
    entry_date = Text(10, load_default="", metadata={"description": "YYYY-MM-DD: the day the row records"})
    values = fields.Dict(keys=Text(32), values=fields.Raw(allow_none=True), load_default=dict,
                         validate=validate.Length(max=40),
                         metadata={"description": "the row's values by column key (or column label)"})


class RowSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    entry_date = fields.Date()
    values = fields.Dict()
    origin = fields.String()


class SpotCheckInSchema(LooseSchema):
    township_id = Id(load_default=None, allow_none=True)
    code = Text(32, load_default="", metadata={"description": "a kept ledger of the township's catalogue"})
    period_start = Text(10, load_default="")
    period_end = Text(10, load_default="")
    count = Int(0, 50, load_default=0, metadata={"description": "rows drawn at random"})
    positions = fields.List(Int(1, 100000), load_default=list, validate=validate.Length(max=50),
                            metadata={"description": "or the rows chosen by their place in the period (1-based)"})
    checker_id = Id(load_default=None, allow_none=True, metadata={"description": "a leader or officer of the county"})
    ends_on = Text(10, load_default="", metadata={"description": "the drawn rows are shared to the checker until then"})


class FindingSchema(Schema):
    row_id = fields.Integer()
    seq = fields.Integer()
    verdict = fields.String(metadata={"description": "pass (合格) / fail (不合格)"})
    problem = fields.String(allow_none=True)
    supervision_item_id = fields.Integer(allow_none=True)


class SpotCheckSchema(Schema):
    id = fields.Integer()
    township_id = fields.Integer()
    township_name = fields.String()
    code = fields.String()
    ledger_title = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    starts_on = fields.Date()
    ends_on = fields.Date()
    checker_id = fields.Integer()
    row_ids = fields.List(fields.Integer())
    state = fields.String()
    result = fields.String(allow_none=True)
    conclusion = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))


class FindingInSchema(LooseSchema):
    row_id = Id(load_default=None, allow_none=True)
    verdict = Text(8, load_default="")
    problem = Text(2000, load_default="")


class ConcludeInSchema(LooseSchema):
    result = Text(16, load_default="")
    conclusion = Text(2000, load_default="")
