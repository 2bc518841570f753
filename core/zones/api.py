"""JSON API of collaboration zones (/api/v1/zones, /api/v1/zones/<id>/meetings, /api/v1/cross-handling).

The URLs carry no unit, as exports' and bulletins' do not: the acting unit is the one named (``?unit=``,
or ``unit`` in the body; ``unit_id`` is read the same), else each unit the account belongs to is tried in
turn, read as that unit so the auto-filter and RLS see the right context. The zone loader of the pages
decides what each unit sees: the county its zones, a current member its own zone; anything else is 404.
"""
from __future__ import annotations

from dataclasses import replace

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from core import context
from core.api import UNIT_QUERY, api, documented, parse_json
from core.schemas import bounded_int
from core.errors import InvalidInput
from core.extensions import db
from core.zones import operations as ops
from core.zones import queries
from core.zones.schemas import (GrantCreateSchema, GrantSchema, MeetingCreateSchema, MeetingListItemSchema,
                                MeetingSchema, RevokeSchema, ZoneCreateSchema, ZoneSchema, ZoneUpdateSchema)
from core.zones.views import load_grant, load_zone
from tenants.access import Action, can, deny, ensure, member_units, roles_at
from tenants.models import Role, Unit

TAG = "zones"


def _act_at(unit: Unit) -> None:
    """Act at ``unit`` for the rest of the request, as a /u/<unit>/ URL would."""
    g.unit = unit
    context.activate(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session)


def _named_unit_id():
    body = request.get_json(silent=True) if request.method in ("POST", "PATCH") else None
    for source in (request.args, body if isinstance(body, dict) else {}):
        for key in ("unit", "unit_id"):
            if source.get(key) not in (None, ""):
                try:
                    return bounded_int(source.get(key))
                except (TypeError, ValueError):
                    deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=str(source.get(key))[:32])
    return None


def _units(action: Action | None = None) -> list[Unit]:
    """The named unit (404 unless the account belongs there), else every unit of the account; with
    ``action``, only those where it may do it."""
    named = _named_unit_id()
    if named is not None:
        unit = db.session.get(Unit, named)
        if unit is None or not can(current_user, Action.WORKSPACE_ENTER, unit):
            deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=named)
        units = [unit]
    else:
        units = member_units(current_user)
    return [u for u in units if action is None or can(current_user, action, u)]


def _one_unit(action: Action) -> Unit:
    """The unit a write acts at: the named one, else the account's only unit where it may ``action``."""
    units = _units(action)
    if not units:
        deny(action)
    if len(units) > 1:
        raise InvalidInput({"unit": [_("您在多个单位有此权限，请用 unit 指明以哪个单位办理")]})
    _act_at(units[0])
    return units[0]


def _find(loader, object_id: int, object_type: str, action: Action = Action.ZONES_READ):
    """The object as the first of the account's units that may see it (acting there from now on); else 404."""
    for unit in _units():
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
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
            _act_at(unit)
            return found
    deny(action, object_type=object_type, object_id=object_id)


def _zone_dump(zone) -> dict:
    return ZoneSchema().dump(zone)


# ---------------------------------------------------------------- zones


@api.get("/zones")
@documented("/zones", "get", "Zones seen at a unit (`?unit=<id>`; without it at every unit I belong to): a county "
            "its zones, a member township or stationed group its own zone(s)", response=ZoneSchema, envelope="items",
            query=UNIT_QUERY, tag=TAG)
def list_zones():
    items = []
    for unit in _units(Action.ZONES_READ):
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
            items += [_zone_dump(z) for z in queries.visible_zones(unit)]
    return jsonify(items=items)


@api.post("/zones")
@documented("/zones", "post", "Define a zone of the county (county leader or unit admin): members of another county, "
            "of the wrong level, or already in a zone of that kind are a 422", body=ZoneCreateSchema,
            response=ZoneSchema, tag=TAG, status=201)
def create_zone():
    county = _one_unit(Action.ZONES_MANAGE)
    args = parse_json(ZoneCreateSchema())
    args.pop("unit", None)
    zone = ops.define_zone(county, **args)
    return jsonify(_zone_dump(zone)), 201


@api.get("/zones/<int:zone_id>")
@documented("/zones/{zone_id}", "get", "One zone with its current members and convener", response=ZoneSchema,
            tag=TAG)
def get_zone(zone_id: int):
    return jsonify(_zone_dump(_find(load_zone, zone_id, "zones")))


@api.patch("/zones/<int:zone_id>")
@documented("/zones/{zone_id}", "patch", "Change a zone (its county's leader or unit admin); fields left out keep "
            "their value; `archived: true` archives it; a stale `version` is a 409", body=ZoneUpdateSchema,
            response=ZoneSchema, tag=TAG)
def update_zone(zone_id: int):
    zone = _find(load_zone, zone_id, "zones")
    if zone.unit_id != g.unit.id:
        deny(Action.ZONES_MANAGE, unit=g.unit, object_type="zones", object_id=zone.id)
    ensure(current_user, Action.ZONES_MANAGE, g.unit, object_type="zones", object_id=zone.id)
    args = parse_json(ZoneUpdateSchema())
    args.pop("unit", None)
    version = args.pop("version", None)
    if args.pop("archived", False):
        ops.archive_zone(zone, expected_version=version)
        return jsonify(_zone_dump(zone))
    if zone.archived_at is not None:
        raise InvalidInput({"_schema": [_("协作区已撤销")]})
    current = {"name": zone.name, "description": zone.description, "lead_account_id": zone.lead_account_id,
               "guiding_office": zone.guiding_office, "term_months": zone.term_months,
               "member_unit_ids": [m.unit_id for m in ops.current_members(zone)]}
    ops.update_zone(zone, **{**current, **args}, expected_version=version)
    return jsonify(_zone_dump(zone))


# ---------------------------------------------------------------- joint meetings


@api.get("/zones/<int:zone_id>/meetings")
@documented("/zones/{zone_id}/meetings", "get", "The zone's joint meetings, newest first, each with the start of "
            "its agenda", response=MeetingListItemSchema, envelope="items", query=UNIT_QUERY, tag=TAG)
def list_meetings(zone_id: int):
    zone = _find(load_zone, zone_id, "zones")
    return jsonify(items=MeetingListItemSchema(many=True).dump(queries.meetings(zone)))


@api.post("/zones/<int:zone_id>/meetings")
@documented("/zones/{zone_id}/meetings", "post", "Call a joint meeting: the zone's current convener only (its "
            "leader)", body=MeetingCreateSchema, response=MeetingSchema, tag=TAG, status=201)
def create_meeting(zone_id: int):
    zone = _find(load_zone, zone_id, "zones")
    term = ops.current_term(zone)
    convener = next((u for u in _units(Action.ZONES_CONVENE) if term is not None and u.id == term.unit_id), None)
    if convener is None or zone.archived_at is not None:
        deny(Action.ZONES_CONVENE, unit=g.unit, object_type="zones", object_id=zone.id)
    _act_at(convener)
    args = parse_json(MeetingCreateSchema())
    args.pop("unit", None)
    meeting = ops.schedule_meeting(zone, convener, **args)
    return jsonify(MeetingSchema().dump(meeting)), 201


# ---------------------------------------------------------------- cross-handling grants


@api.get("/cross-handling")
@documented("/cross-handling", "get", "Cross-handling and cross-inspection grants: at a county all of its grants, at "
            "a township those naming me (a leader: all of the township's)", response=GrantSchema, envelope="items",
            query=UNIT_QUERY, tag=TAG)
def list_grants():
    items = []
    for unit in _units(Action.ZONES_READ):
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
            found = queries.grants_for(unit, current_user.id,
                                       all_of_unit=Role.LEADER in roles_at(current_user, unit))
            # Analysts and unit admins read no records: the grants without the record they open.
            record = () if can(current_user, Action.RECORDS_READ, unit) else ("object_id", "object_label")
            items += GrantSchema(many=True, exclude=record).dump(found)
    return jsonify(items=items)


@api.post("/cross-handling")
@documented("/cross-handling", "post", "Authorise named staff of a member township to inspect or handle one record "
            "of another township of the same zone (county leader). A grant beyond the zone, about the grantee's "
            "own officials, or ending before it starts is a 422", body=GrantCreateSchema, response=GrantSchema,
            tag=TAG, status=201)
def create_grant():
    county = _one_unit(Action.ZONES_GRANT)
    args = parse_json(GrantCreateSchema())
    args.pop("unit", None)
    grant = ops.grant_cross_access(county, **args)
    return jsonify(GrantSchema().dump(grant)), 201


@api.post("/cross-handling/<int:grant_id>/revoke")
@documented("/cross-handling/{grant_id}/revoke", "post", "End a grant at once (its county's leader): every URL of "
            "the record answers 404 to the grantees from now on", body=RevokeSchema, response=GrantSchema, tag=TAG)
def revoke_grant(grant_id: int):
    grant = _find(load_grant, grant_id, "cross_grants")
    if grant.unit_id != g.unit.id:
        deny(Action.ZONES_GRANT, unit=g.unit, object_type="cross_grants", object_id=grant.id)
    ensure(current_user, Action.ZONES_GRANT, g.unit, object_type="cross_grants", object_id=grant.id)
    args = parse_json(RevokeSchema())
    ops.revoke_grant(grant, args["reason"], expected_version=args["version"])
    return jsonify(GrantSchema().dump(grant))
