"""JSON shapes of collaboration zones, their joint meetings and the cross-handling grants (marshmallow).

Input schemas check types only, with messages in Chinese; the rules (a unit of another county, a unit
already in a zone of that kind, a grant beyond the zone, an end before the start …) are the operations'
and come back as 422 with the same field names.
"""
from __future__ import annotations

from marshmallow import fields, validate

from core import calendar
from core.schemas import LINE, SUMMARY, TEXT, Day, Id, Int, Schema, Text, excerpt, register_forms
from core.timefmt import LocalDateTime
from core.zones import queries
from core.zones.models import GRANT_STATE_LABELS

REQUIRED = "此项必填"
# ``unit`` in a body is read by the older URL forms only (/api/v1/zones …); a /u/<unit>/ URL names its unit.
LEGACY_UNIT = "%s, for the older URL form without the unit (else ?unit=); ignored under /u/{unit_id}/"
INVALID = {"required": REQUIRED, "null": "此项不能为空"}


def _int(**kw):
    return Id(error_messages={**INVALID, "invalid": "须为整数"}, **kw)


def _str(max_length: int = LINE, **kw):
    return Text(max_length, error_messages={**INVALID, "invalid": "须为文字"}, **kw)


def _date(**kw):
    return Day(error_messages={**INVALID, "invalid": "不是有效日期（应为 2026-11-21 这样的格式）"}, **kw)


def _ids(**kw):
    return fields.List(_int(), error_messages={**INVALID, "invalid": "须为单位编号的列表"},
                       validate=validate.Length(max=500), **kw)


class InSchema(Schema):
    error_messages = {"unknown": "未知字段", "type": "请求体须为 JSON 对象"}


# ---------------------------------------------------------------- input


class ZoneCreateSchema(InSchema):
    unit = _int(load_default=None, metadata={"description": LEGACY_UNIT % "the county acting"})
    name = _str(100, required=True)
    kind = _str(16, load_default="township", metadata={"description": "township | stationed"})
    description = _str(TEXT, load_default="")
    lead_account_id = _int(required=True, metadata={"description": "a leader of the county"})
    guiding_office = _str(100, required=True)
    term_months = Int(load_default=3, metadata={"description": "1, 2, 3, 4, 6 or 12"})
    member_unit_ids = _ids(required=True)


class ZoneUpdateSchema(InSchema):
    """Fields left out keep their value; ``archived: true`` archives the zone; ``version`` guards stale edits."""

    unit = _int(load_default=None)
    name = _str(100)
    description = _str(TEXT)
    lead_account_id = _int()
    guiding_office = _str(100)
    term_months = Int()
    member_unit_ids = _ids()
    archived = fields.Boolean(error_messages={**INVALID, "invalid": "须为 true 或 false"})
    version = Int()


class MeetingCreateSchema(InSchema):
    unit = _int(load_default=None, metadata={"description": LEGACY_UNIT % "the convening member"})
    title = _str(required=True)
    held_on = _date(required=True)
    place = _str(load_default="")
    agenda = _str(TEXT, required=True)
    attendee_unit_ids = _ids(load_default=None, allow_none=True,
                             metadata={"description": "default: every member's secretary and the lead"})


class GrantCreateSchema(InSchema):
    unit = _int(load_default=None, metadata={"description": LEGACY_UNIT % "the county acting"})
    grantee_unit_id = _int(required=True)
    owner_unit_id = _int(required=True)
    number = _str(64, required=True, metadata={"description": "the owner's petition or clearing case number"})
    scope = _str(16, required=True, metadata={"description": "inspect | handle"})
    transitions = fields.List(_str(32), load_default=None, allow_none=True, validate=validate.Length(max=20),
                              metadata={"description": "for handle: the steps allowed (default all allowed)"})
    purpose = _str(SUMMARY, required=True)
    starts_on = _date(required=True)
    ends_on = _date(required=True)
    grantee_account_ids = _ids(required=True)


class RevokeSchema(InSchema):
    unit = _int(load_default=None)
    reason = _str(SUMMARY, load_default="")
    version = Int(load_default=None)


# ---------------------------------------------------------------- output


class MemberSchema(Schema):
    unit_id = fields.Integer()
    name = fields.Function(lambda m: m.unit.name)
    joined_on = fields.Date()
    left_on = fields.Date(allow_none=True)
    position = fields.Integer()


class TermSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda t: t.unit.name)
    starts_on = fields.Date()
    ends_on = fields.Date()
    assigned_by = fields.String(metadata={"description": "rota | override"})
    override_reason = fields.String(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    report_requested_on = fields.Date(allow_none=True)
    report_submitted_at = LocalDateTime(allow_none=True)


class ZoneSchema(Schema):
    id = fields.Integer()
    county_id = fields.Integer(attribute="unit_id")
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    description = fields.String()
    lead_account_id = fields.Integer(allow_none=True)
    lead_name = fields.Function(lambda z: (z.lead.display_name or z.lead.username) if z.lead else None)
    guiding_office = fields.String()
    term_months = fields.Integer()
    archived = fields.Function(lambda z: z.archived_at is not None)
    version = fields.Integer()
    members = fields.Method("_members")
    convener = fields.Method("_convener")

    def _members(self, zone):
        return MemberSchema(many=True).dump(queries.current_members(zone))

    def _convener(self, zone):
        term = queries.current_term(zone)
        return TermSchema().dump(term) if term else None


class DecisionSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    text = fields.String()
    due_on = fields.Date(allow_none=True)
    task_units = fields.List(fields.Dict())


class MeetingSchema(Schema):
    id = fields.Integer()
    zone_id = fields.Integer()
    convener_unit_id = fields.Integer(attribute="unit_id")
    title = fields.String()
    held_on = fields.Date()
    place = fields.String()
    agenda = fields.String()
    attendees = fields.List(fields.Dict())
    minutes = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "scheduled | held"})
    version = fields.Integer()
    decisions = fields.List(fields.Nested(DecisionSchema))


class GrantSchema(Schema):
    id = fields.Integer()
    zone_id = fields.Integer()
    county_id = fields.Integer(attribute="unit_id")
    grantee_unit_id = fields.Integer()
    owner_unit_id = fields.Integer()
    object_type = fields.String(metadata={"description": "petitions | clearing_cases"})
    object_id = fields.Integer(metadata={"x_optional": True, "description": "absent for roles that read no records"})
    object_label = fields.String(metadata={"x_optional": True, "description": "absent for roles that read no records"})
    scope = fields.String()
    transitions = fields.Function(lambda g: [t for t in g.transitions.split(",") if t])
    purpose = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    grantee_account_ids = fields.List(fields.Integer())
    round_id = fields.Integer(allow_none=True)
    state = fields.Function(lambda g: g.state_on(calendar.today()),
                            metadata={"description": "pending | active | ended | revoked"})
    state_label = fields.Function(lambda g: str(GRANT_STATE_LABELS[g.state_on(calendar.today())]))
    revoked_at = LocalDateTime(allow_none=True)
    revoke_reason = fields.String(allow_none=True)
    version = fields.Integer()


class MeetingListItemSchema(MeetingSchema):
    """A meeting in a list: the start of its agenda, without the minutes."""

    class Meta:
        exclude = ("agenda", "minutes")

    agenda_excerpt = fields.Function(lambda m: excerpt(m.agenda), metadata={"type": "string"})


register_forms({"zones.new": ZoneCreateSchema, "zones.edit": ZoneUpdateSchema, "zones.new_meeting": MeetingCreateSchema,
                "zones.new_grant": GrantCreateSchema, "zones.revoke_grant": RevokeSchema})
