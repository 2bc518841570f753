"""JSON API of 联系指导: /api/v1/u/<unit>/guidance/offices, …/guidance/meetings, …/guidance/visits (the county's
records; 404 elsewhere, and for a county officer outside the office). 422 lists every field's reason in Chinese and
saves nothing."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from core.api import api, documented, parse_json
from core.errors import InvalidInput
from core.guidance import operations as ops
from core.guidance import queries
from core.guidance.schemas import (MeetingInSchema, MeetingSchema, OfficeInSchema, OfficeSchema, RaiseInSchema,
                                   VisitInSchema, VisitSchema)
from tenants.access import Action, can, ensure

BASE, BASE_DOC = "/u/<int:unit_id>/guidance", "/u/{unit_id}/guidance"
TAG = "guidance"
OFFICE_QUERY = {"office_id": ({"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "one office's only")}


def _office_dump(office) -> dict:
    return {"id": office.id, "name": office.name, "duties": office.duties, "version": office.version,
            "members": [{"id": m.account_id, "name": queries.account_name(m.account)}
                        for m in queries.current_members(office)],
            "townships": [{"id": t.id, "name": t.name} for t in queries.current_townships(office)]}


def _readable_offices():
    """The offices the account reads here (its own, the leader every one), or one of them (``office_id``)."""
    ensure(current_user, Action.GUIDANCE_READ, g.unit, target=g.unit)
    office_id = request.args.get("office_id", type=int)
    if office_id is not None:
        return [queries.load_office(office_id, Action.GUIDANCE_READ)]
    return queries.visible_offices(g.unit, current_user)


def _office_from(args: dict, action: Action):
    if args.get("office_id") is None:
        raise InvalidInput({"office_id": [_("请选择纪检监察室")]})
    return queries.load_office(args["office_id"], action)


@api.get(f"{BASE}/offices")
@documented(f"{BASE_DOC}/offices", "get", "The county's 纪检监察室 with their members and the townships each guides "
            "(the leader and the unit admin: every office; other staff: their own)", response=OfficeSchema,
            many=True, tag=TAG)
def list_guidance_offices(unit_id: int):
    if can(current_user, Action.GUIDANCE_MANAGE, g.unit, target=g.unit):
        offices = queries.offices_of(g.unit)
    else:
        ensure(current_user, Action.GUIDANCE_READ, g.unit, target=g.unit)
        offices = queries.visible_offices(g.unit, current_user)
    return jsonify(OfficeSchema(many=True).dump([_office_dump(o) for o in offices]))


@api.post(f"{BASE}/offices")
@documented(f"{BASE_DOC}/offices", "post", "Create a 纪检监察室: name, duties, members (the county's staff) and the "
            "townships it guides from today (each taken over from the office guiding it before)",
            body=OfficeInSchema, response=OfficeSchema, tag=TAG, status=201)
def create_guidance_office(unit_id: int):
    ensure(current_user, Action.GUIDANCE_MANAGE, g.unit, target=g.unit)
    office = ops.create_office(g.unit, parse_json(OfficeInSchema()))
    return jsonify(OfficeSchema().dump(_office_dump(office))), 201


@api.get(f"{BASE}/meetings")
@documented(f"{BASE_DOC}/meetings", "get", "Regular meetings (定期例会) of the offices the account reads, newest "
            "first", response=MeetingSchema, many=True, query=OFFICE_QUERY, tag=TAG)
def list_guidance_meetings(unit_id: int):
    return jsonify(MeetingSchema(many=True).dump(queries.meetings_of(_readable_offices())))


@api.post(f"{BASE}/meetings")
@documented(f"{BASE_DOC}/meetings", "post", "Record a regular meeting of an office the account belongs to: the day, "
            "attendees, the townships, notes and decisions", body=MeetingInSchema, response=MeetingSchema, tag=TAG,
            status=201)
def create_guidance_meeting(unit_id: int):
    ensure(current_user, Action.GUIDANCE_LOG, g.unit, target=g.unit)
    args = parse_json(MeetingInSchema())
    meeting = ops.log_meeting(_office_from(args, Action.GUIDANCE_LOG), args)
    return jsonify(MeetingSchema().dump(meeting)), 201


@api.get(f"{BASE}/visits")
@documented(f"{BASE_DOC}/visits", "get", "Guidance visits (督查指导) of the offices the account reads, newest first, "
            "with the problems found and the rectification orders they became", response=VisitSchema, many=True,
            query=OFFICE_QUERY, tag=TAG)
def list_guidance_visits(unit_id: int):
    return jsonify(VisitSchema(many=True).dump(queries.visits_of(_readable_offices())))


@api.post(f"{BASE}/visits")
@documented(f"{BASE_DOC}/visits", "post", "Record a guidance visit of an office the account belongs to, to one "
            "township it guides: the day, the office's staff on it, what was checked, notes, problems found",
            body=VisitInSchema, response=VisitSchema, tag=TAG, status=201)
def create_guidance_visit(unit_id: int):
    ensure(current_user, Action.GUIDANCE_LOG, g.unit, target=g.unit)
    args = parse_json(VisitInSchema())
    visit = ops.log_visit(_office_from(args, Action.GUIDANCE_LOG), args)
    return jsonify(VisitSchema().dump(visit)), 201


@api.get(f"{BASE}/visits/<int:guidance_visit_id>")
@documented(f"{BASE_DOC}/visits/{{guidance_visit_id}}", "get", "One guidance visit", response=VisitSchema, tag=TAG)
def get_guidance_visit(unit_id: int, guidance_visit_id: int):
    return jsonify(VisitSchema().dump(queries.load_visit(guidance_visit_id, Action.GUIDANCE_READ)))


@api.post(f"{BASE}/visits/<int:guidance_visit_id>/raise")
@documented(f"{BASE_DOC}/visits/{{guidance_visit_id}}/raise", "post", "The county leader sends the visit's problems "
            "not yet sent to the township as one rectification order (整改交办单) with its deadline",
            body=RaiseInSchema, response=VisitSchema, tag=TAG)
def raise_guidance_problems(unit_id: int, guidance_visit_id: int):
    visit = queries.load_visit(guidance_visit_id, Action.GUIDANCE_RAISE)
    ops.raise_problems(visit, parse_json(RaiseInSchema()))
    return jsonify(VisitSchema().dump(visit))
