"""JSON shapes of roll-ups (marshmallow): a unit's figures for a period, and the same per child."""
from marshmallow import fields

from core.schemas import Schema


class RollupSchema(Schema):
    unit_id = fields.Function(lambda r: r.unit.id, metadata={"type": "integer"})
    unit_name = fields.Function(lambda r: r.unit.name, metadata={"type": "string"})
    unit_level = fields.Function(lambda r: r.unit.level, metadata={"type": "string"})
    # Functions, not plain fields: a Rollup answers rollup[key] with a figure, which marshmallow would try first.
    own_level = fields.Function(lambda r: r.own_level, metadata={"type": "boolean",
                                                                 "description": "the unit's own rows only (本级)"})
    period = fields.Function(lambda r: r.period.key, metadata={"type": "string"})
    since = fields.Function(lambda r: r.period.since.isoformat(), metadata={"type": "string"})
    until = fields.Function(lambda r: r.period.until.isoformat(), metadata={"type": "string"})
    campaign_id = fields.Function(lambda r: r.campaign_id, metadata={"type": "integer", "nullable": True})
    values = fields.Function(lambda r: r.values, metadata={"type": "object",
                                                           "description": "figure key -> number (None: no data)"})


class FigureLabelSchema(Schema):
    label = fields.String()
    unit = fields.String()
    kind = fields.String()


class RollupAnswerSchema(RollupSchema):
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureLabelSchema),
                          metadata={"description": "figure key -> its label, unit and kind"})


class RollupLineSchema(RollupSchema):
    rank = fields.Integer(allow_none=True, metadata={"description": "the line's rank on rank_by, if asked"})


class RollupChildrenSchema(Schema):
    unit_id = fields.Integer()
    period = fields.String()
    items = fields.List(fields.Nested(RollupLineSchema))
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureLabelSchema))
