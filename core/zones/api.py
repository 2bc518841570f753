"""JSON API of collaboration zones (/api/v1/u/<unit>/zones, /api/v1/u/<unit>/zones/<id>/meetings,
/api/v1/u/<unit>/cross-handling).

The URL names the acting unit, as every unit-scoped route does (tenants.resolution: 404 unless the account
belongs there). The zones' loaders (queries.py, shared with the pages) decide what each unit sees: the county
its zones, a current member its own zone; anything else is 404.

The older forms without a unit in the URL (/api/v1/zones, /api/v1/cross-handling …) keep answering as they
did, documented once in the new form (``core.api.legacy_form``): the acting unit is the one named (``?unit=``,
or ``unit`` in the body; ``unit_id`` is read the same), else each unit the account belongs to is tried in
turn, read as that unit so the auto-filter and RLS see the right context.
"""
from __future__ import annotations


from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from core.api import api, documented, legacy_form, parse_json
from core.errors import InvalidInput
from core.zones import operations as ops
from core.zones import queries
from core.zones.schemas import (GrantCreateSchema, GrantSchema, MeetingCreateSchema, MeetingListItemSchema,
                                MeetingSchema, RevokeSchema, ZoneCreateSchema, ZoneSchema, ZoneUpdateSchema)
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit
from tenants.resolution import act_at, named_units, reading_at

TAG = "zones"
ZONES, ZONES_DOC = "/u/<int:unit_id>/zones", "/u/{unit_id}/zones"
GRANTS, GRANTS_DOC = "/u/<int:unit_id>/cross-handling", "/u/{unit_id}/cross-handling"


# ---------------------------------------------------------------- what both URL forms answer, at the acting unit


def _zones_at(unit: Unit) -> list[dict]:
    return ZoneSchema(many=True).dump(queries.visible_zones(unit))


def _created(body: type, answer: type, write, *at):
    """Read the body (its ``unit`` is the older forms'), write, answer 201 with what was made."""
    fields = parse_json(body())
    fields.pop("unit", None)
    return jsonify(answer().dump(write(*at, **fields))), 201


def _change_zone(zone):
    """The county's change of its zone: fields left out keep their value; ``archived: true`` archives it."""
    args = parse_json(ZoneUpdateSchema())
    args.pop("unit", None)
    version = args.pop("version", None)
    if args.pop("archived", False):
        ops.archive_zone(zone, expected_version=version)
        return jsonify(ZoneSchema().dump(zone))
    if zone.archived_at is not None:
        raise InvalidInput({"_schema": [_("协作区已撤销")]})
    current = {"name": zone.name, "description": zone.description, "lead_account_id": zone.lead_account_id,
               "guiding_office": zone.guiding_office, "term_months": zone.term_months,
               "member_unit_ids": [m.unit_id for m in queries.current_members(zone)]}
    ops.update_zone(zone, **{**current, **args}, expected_version=version)
    return jsonify(ZoneSchema().dump(zone))


def _meetings_of(zone):
    return jsonify(items=MeetingListItemSchema(many=True).dump(queries.meetings(zone)))


def _grants_at(unit: Unit) -> list[dict]:
    found = queries.grants_for(unit, current_user.id, all_of_unit=can(current_user, Action.ZONES_GRANTS_ALL, unit))
    # Analysts and unit admins read no records: the grants without the record they open.
    record = () if can(current_user, Action.RECORDS_READ, unit) else ("object_id", "object_label")
    return GrantSchema(many=True, exclude=record).dump(found)


def _revoke(grant):
    args = parse_json(RevokeSchema())
    ops.revoke_grant(grant, args["reason"], expected_version=args["version"])
    return jsonify(GrantSchema().dump(grant))


# ---------------------------------------------------------------- zones


@api.get(ZONES)
@documented(ZONES_DOC, "get", "Zones seen at the unit: a county its zones, a member township or stationed group its "
            "own zone(s)", response=ZoneSchema, envelope="items", tag=TAG)
def list_zones(unit_id: int):
    ensure(current_user, Action.ZONES_READ, g.unit, target=g.unit)
    return jsonify(items=_zones_at(g.unit))


@api.post(ZONES)
@documented(ZONES_DOC, "post", "Define a zone of the county (county leader or unit admin): members of another county, "
            "of the wrong level, or already in a zone of that kind are a 422", body=ZoneCreateSchema,
            response=ZoneSchema, tag=TAG, status=201)
def create_zone(unit_id: int):
    ensure(current_user, Action.ZONES_MANAGE, g.unit, target=g.unit)
    return _created(ZoneCreateSchema, ZoneSchema, ops.define_zone, g.unit)


@api.get(f"{ZONES}/<int:zone_id>")
@documented(f"{ZONES_DOC}/{{zone_id}}", "get", "One zone with its current members and convener", response=ZoneSchema,
            tag=TAG)
def get_zone(unit_id: int, zone_id: int):
    return jsonify(ZoneSchema().dump(queries.load_zone(zone_id)))


@api.patch(f"{ZONES}/<int:zone_id>")
@documented(f"{ZONES_DOC}/{{zone_id}}", "patch", "Change a zone (its county's leader or unit admin); fields left out "
            "keep their value; `archived: true` archives it; a stale `version` is a 409", body=ZoneUpdateSchema,
            response=ZoneSchema, tag=TAG)
def update_zone(unit_id: int, zone_id: int):
    return _change_zone(queries.county_zone(zone_id, Action.ZONES_MANAGE))


# ---------------------------------------------------------------- joint meetings


@api.get(f"{ZONES}/<int:zone_id>/meetings")
@documented(f"{ZONES_DOC}/{{zone_id}}/meetings", "get", "The zone's joint meetings, newest first, each with the start "
            "of its agenda", response=MeetingListItemSchema, envelope="items", tag=TAG)
def list_meetings(unit_id: int, zone_id: int):
    return _meetings_of(queries.load_zone(zone_id))


@api.post(f"{ZONES}/<int:zone_id>/meetings")
@documented(f"{ZONES_DOC}/{{zone_id}}/meetings", "post", "Call a joint meeting: the zone's current convener only (its "
            "leader)", body=MeetingCreateSchema, response=MeetingSchema, tag=TAG, status=201)
def create_meeting(unit_id: int, zone_id: int):
    zone = queries.load_zone(zone_id)
    if not queries.is_convener(zone, g.unit) or zone.archived_at is not None:
        deny(Action.ZONES_CONVENE, unit=g.unit, object_type="zones", object_id=zone.id)
    ensure(current_user, Action.ZONES_CONVENE, g.unit, object_type="zones", object_id=zone.id)
    return _created(MeetingCreateSchema, MeetingSchema, ops.schedule_meeting, zone, g.unit)


# ---------------------------------------------------------------- cross-handling grants


@api.get(GRANTS)
@documented(GRANTS_DOC, "get", "Cross-handling and cross-inspection grants: at a county all of its grants, at a "
            "township those naming me (a leader: all of the township's)", response=GrantSchema, envelope="items",
            tag=TAG)
def list_grants(unit_id: int):
    ensure(current_user, Action.ZONES_READ, g.unit, target=g.unit)
    return jsonify(items=_grants_at(g.unit))


@api.post(GRANTS)
@documented(GRANTS_DOC, "post", "Authorise named staff of a member township to inspect or handle one record of "
            "another township of the same zone (county leader). A grant beyond the zone, about the grantee's own "
            "officials, or ending before it starts is a 422", body=GrantCreateSchema, response=GrantSchema,
            tag=TAG, status=201)
def create_grant(unit_id: int):
    ensure(current_user, Action.ZONES_GRANT, g.unit, target=g.unit)
    return _created(GrantCreateSchema, GrantSchema, ops.grant_cross_access, g.unit)


@api.post(f"{GRANTS}/<int:grant_id>/revoke")
@documented(f"{GRANTS_DOC}/{{grant_id}}/revoke", "post", "End a grant at once (its county's leader): every URL of "
            "the record answers 404 to the grantees from now on", body=RevokeSchema, response=GrantSchema, tag=TAG)
def revoke_grant(unit_id: int, grant_id: int):
    return _revoke(queries.own(queries.load_grant(grant_id), Action.ZONES_GRANT))


# ---------------------------------------------------------------- the older forms, without the unit in the URL


def _units(action: Action | None = None) -> list[Unit]:
    """The named unit (404 unless the account belongs there), else every unit of the account; with
    ``action``, only those where it may do it."""
    return [u for u in named_units() if action is None or can(current_user, action, u)]


def _at_each_unit(listed):
    """A list of the older forms: at the named unit, else at each of the account's units where it reads zones."""
    items = []
    for unit in _units(Action.ZONES_READ):
        with reading_at(unit):
            items += listed(unit)
    return jsonify(items=items)


def _one_unit(action: Action) -> Unit:
    """The unit a write acts at: the named one, else the account's only unit where it may ``action``."""
    units = _units(action)
    if not units:
        deny(action)
    if len(units) > 1:
        raise InvalidInput({"unit": [_("您在多个单位有此权限，请用 unit 指明以哪个单位办理")]})
    act_at(units[0])
    return units[0]


def _find(loader, object_id: int, object_type: str, action: Action = Action.ZONES_READ):
    """The object as the first of the account's units that may see it (acting there from now on); else 404."""
    for unit in _units():
        with reading_at(unit):
            previous = g.get("unit")
            g.unit = unit
            try:
                found = loader(object_id)
            except NotFound:
                g.pop("audit_denial", None)  # tried at one unit of the account, not a probe
                found = None
            finally:
                g.unit = previous
        if found is not None and can(current_user, action, unit):
            act_at(unit)
            return found
    deny(action, object_type=object_type, object_id=object_id)


@api.get("/zones")
@legacy_form(of="api.list_zones")
def legacy_list_zones():
    return _at_each_unit(_zones_at)


@api.post("/zones")
@legacy_form(of="api.create_zone")
def legacy_create_zone():
    return _created(ZoneCreateSchema, ZoneSchema, ops.define_zone, _one_unit(Action.ZONES_MANAGE))


@api.get("/zones/<int:zone_id>")
@legacy_form(of="api.get_zone")
def legacy_get_zone(zone_id: int):
    return jsonify(ZoneSchema().dump(_find(queries.load_zone, zone_id, "zones")))


@api.patch("/zones/<int:zone_id>")
@legacy_form(of="api.update_zone")
def legacy_update_zone(zone_id: int):
    return _change_zone(queries.own(_find(queries.load_zone, zone_id, "zones"), Action.ZONES_MANAGE))


@api.get("/zones/<int:zone_id>/meetings")
@legacy_form(of="api.list_meetings")
def legacy_list_meetings(zone_id: int):
    return _meetings_of(_find(queries.load_zone, zone_id, "zones"))


@api.post("/zones/<int:zone_id>/meetings")
@legacy_form(of="api.create_meeting")
def legacy_create_meeting(zone_id: int):
    zone = _find(queries.load_zone, zone_id, "zones")
    convener = next((u for u in _units(Action.ZONES_CONVENE) if queries.is_convener(zone, u)), None)
    if convener is None or zone.archived_at is not None:
        deny(Action.ZONES_CONVENE, unit=g.unit, object_type="zones", object_id=zone.id)
    act_at(convener)
    return _created(MeetingCreateSchema, MeetingSchema, ops.schedule_meeting, zone, convener)


@api.get("/cross-handling")
@legacy_form(of="api.list_grants")
def legacy_list_grants():
    return _at_each_unit(_grants_at)


@api.post("/cross-handling")
@legacy_form(of="api.create_grant")
def legacy_create_grant():
    return _created(GrantCreateSchema, GrantSchema, ops.grant_cross_access, _one_unit(Action.ZONES_GRANT))


@api.post("/cross-handling/<int:grant_id>/revoke")
@legacy_form(of="api.revoke_grant")
def legacy_revoke_grant(grant_id: int):
    return _revoke(queries.own(_find(queries.load_grant, grant_id, "cross_grants"), Action.ZONES_GRANT))
