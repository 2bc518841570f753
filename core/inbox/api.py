"""JSON API of the inbox: the caller's open entries at one unit (/api/v1/u/<unit>/inbox), or, in the older
form /api/v1/inbox, in every unit it belongs to."""
from __future__ import annotations

from flask import g, jsonify
from flask_login import current_user
from marshmallow import Schema, fields

from core.calendar import estimated_flag
from core.api import api, documented, legacy_form
from core.extensions import db
from core.inbox.queries import open_items_for
from core.inbox.links import link_for
from core.timefmt import LocalDateTime
from tenants.access import Action, can, ensure, member_units, roles_at
from tenants.resolution import reading_at


class InboxItemSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    object_type = fields.String()
    object_id = fields.Integer()
    due_on = fields.Date(allow_none=True)
    due_on_estimated = estimated_flag()
    created_at = LocalDateTime()
    url = fields.String(metadata={"description": "the entry's page (set by _items)"})


def _items(unit) -> list[dict]:
    items = db.session.scalars(open_items_for(unit, {r.value for r in roles_at(current_user, unit)},
                                              current_user.id)).all()
    out = InboxItemSchema(many=True).dump(items)
    for data, item in zip(out, items):
        data["url"] = link_for(item, unit.id)
    return out


@api.get("/inbox")
@legacy_form(of="api.unit_inbox")
def my_inbox():
    """The caller's open entries in every unit it belongs to (with an inbox there), one unit after the other."""
    entries = []
    for unit in member_units(current_user):
        if not can(current_user, Action.INBOX_READ, unit):
            continue
        # Each unit's entries are read as that unit, so RLS and the auto-filter see the right context.
        with reading_at(unit):
            entries += _items(unit)
    return jsonify(entries)


@api.get("/u/<int:unit_id>/inbox")
@documented("/u/{unit_id}/inbox", "get", "My open inbox entries at one unit", response=InboxItemSchema, many=True,
            tag="inbox")
def unit_inbox(unit_id: int):
    ensure(current_user, Action.INBOX_READ, g.unit, target=g.unit)
    return jsonify(_items(g.unit))
