"""JSON shapes of bulletins (marshmallow): the list entry, and the bulletin with its frozen snapshot."""
from flask import url_for
from marshmallow import fields

from core.schemas import Schema
from core.timefmt import LocalDateTime


class BulletinSummarySchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda b: b.snapshot["unit"]["name"])
    parent_unit_id = fields.Integer(allow_none=True, metadata={"description": "the parent it is published to"})
    kind = fields.String(metadata={"description": "weekly | monthly"})
    kind_label = fields.String()
    period = fields.String(metadata={"description": "2026-W47 (weekly) or 2026-11 (monthly)"})
    period_label = fields.Function(lambda b: b.snapshot["period"]["label"])
    since = fields.Date()
    until = fields.Date()
    cut_off_at = LocalDateTime()
    built_at = LocalDateTime()
    published_at = LocalDateTime(allow_none=True)
    url = fields.Function(lambda b: url_for("api.bulletin_detail", bulletin_id=b.id))
    page_url = fields.String(metadata={"description": "the printable page (with ?format=docx or xlsx: the "
                                                    "downloads), at the unit reading it"})


class BulletinChildLineSchema(Schema):
    unit_id = fields.Integer()
    name = fields.String()
    own_level = fields.Boolean(metadata={"description": "the unit's own level (本级), not a child"})
    values = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    ranks = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "rank among the children per ranked figure (0: unranked)"})


class BulletinLateReturnSchema(Schema):
    directive_id = fields.Integer()
    directive = fields.String()
    period = fields.String()
    period_label = fields.String()
    due_on = fields.String()
    unit_id = fields.Integer()
    unit = fields.String()
    days_late = fields.Integer()


class BulletinOverdueItemSchema(Schema):
    item_id = fields.Integer()
    number = fields.String()
    title = fields.String()
    kind = fields.String()
    recipient_unit_id = fields.Integer()
    recipient = fields.String()
    due_on = fields.String()
    days_over = fields.Integer()


class BulletinCoverageSchema(Schema):
    share = fields.Float(allow_none=True)
    covered = fields.List(fields.String())
    uncovered = fields.List(fields.String())


class BulletinPreviousSchema(Schema):
    key = fields.String()
    label = fields.String()
    source = fields.String(metadata={"description": "bulletin (the previous bulletin's figures) | recount (flows "
                                                    "counted again; stocks unknown)"})
    bulletin_id = fields.Integer(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class BulletinSchema(BulletinSummarySchema):
    """The bulletin with everything it shows, as frozen when it was built."""

    stock_as_of = fields.Function(lambda b: b.snapshot["stock_as_of"])
    campaign = fields.Function(lambda b: b.snapshot["campaign"])
    keys = fields.Function(lambda b: b.snapshot["keys"])
    figures = fields.Function(lambda b: b.snapshot["figures"],
                              metadata={"description": "per figure key: label, unit, kind, area"})
    values = fields.Function(lambda b: b.snapshot["values"])
    previous = fields.Function(lambda b: BulletinPreviousSchema().dump(b.snapshot["previous"]))
    coverage = fields.Function(lambda b: BulletinCoverageSchema().dump(b.snapshot["coverage"]))
    rank_keys = fields.Function(lambda b: b.snapshot["rank_keys"])
    children = fields.Function(lambda b: BulletinChildLineSchema(many=True).dump(b.snapshot["children"]))
    late_returns = fields.Function(lambda b: BulletinLateReturnSchema(many=True).dump(b.snapshot["late_returns"]))
    late_returns_total = fields.Function(lambda b: b.snapshot["late_returns_total"])
    overdue_items = fields.Function(
        lambda b: BulletinOverdueItemSchema(many=True).dump(b.snapshot["overdue_items"]))
    overdue_items_total = fields.Function(lambda b: b.snapshot["overdue_items_total"])
