"""JSON API of on-site meetings: /api/v1/u/<unit>/inspection-tours, …/onsite-meetings and
…/onsite-meetings/<id>/issues (the county's records; 404 elsewhere). 422 lists every field's reason in Chinese and
saves nothing. Evidence files go through /api/v1/u/<unit>/attachments (record_type=meeting_issues)."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user

from flask_babel import gettext as _

from core.api import api, documented, parse_json
from core.errors import InvalidInput
from core.extensions import db
from core.meetings import operations as ops
from core.meetings import queries
from core.meetings.schemas import (DeadlineInSchema, IssueInSchema, IssueSchema, MeetingInSchema, MeetingSchema,
                                   MeetingUpdateSchema, ResolveInSchema, TourInSchema, TourSchema, TourUpdateSchema)
from tenants.access import Action, ensure

TOURS, TOURS_DOC = "/u/<int:unit_id>/inspection-tours", "/u/{unit_id}/inspection-tours"
MEETINGS, MEETINGS_DOC = "/u/<int:unit_id>/onsite-meetings", "/u/{unit_id}/onsite-meetings"
TAG = "meetings"
MAX_ROWS = 500


@api.get(TOURS)
@documented(TOURS_DOC, "get", "The county's inspection tours (巡察), newest first", response=TourSchema, many=True,
            tag=TAG)
def list_inspection_tours(unit_id: int):
    ensure(current_user, Action.MEETINGS_READ, g.unit, target=g.unit)
    return jsonify(TourSchema(many=True).dump(queries.tours_of(g.unit)))


@api.post(TOURS)
@documented(TOURS_DOC, "post", "Create an inspection tour: name, 组长, members, the county's accounts acting on it, "
            "the period and the villages covered (of the county's townships)", body=TourInSchema, response=TourSchema,
            tag=TAG, status=201)
def create_inspection_tour(unit_id: int):
    ensure(current_user, Action.MEETINGS_MANAGE, g.unit, target=g.unit)
    tour = ops.create_tour(g.unit, parse_json(TourInSchema()))
    return jsonify(TourSchema().dump(tour)), 201


@api.get(f"{TOURS}/<int:tour_id>")
@documented(f"{TOURS_DOC}/{{tour_id}}", "get", "One inspection tour of the county", response=TourSchema, tag=TAG)
def get_inspection_tour(unit_id: int, tour_id: int):
    return jsonify(TourSchema().dump(queries.load_tour(tour_id, Action.MEETINGS_READ, g.unit, current_user)))


def _given(args: dict, current: dict) -> dict:
    """A PATCH body over the record's current values: the fields not sent keep theirs."""
    sent = request.get_json(silent=True) or {}
    return {**current, **{key: value for key, value in args.items() if key in sent}}


@api.patch(f"{TOURS}/<int:tour_id>")
@documented(f"{TOURS_DOC}/{{tour_id}}", "patch", "Correct a tour (fields not sent keep their value); a village with "
            "a meeting stays covered and the period keeps every meeting", body=TourUpdateSchema, response=TourSchema,
            tag=TAG)
def update_inspection_tour(unit_id: int, tour_id: int):
    tour = queries.load_tour(tour_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    current = {"name": tour.name, "leader_name": tour.leader_name, "members": tour.members,
               "account_ids": tour.account_ids, "starts_on": tour.starts_on.isoformat(),
               "ends_on": tour.ends_on.isoformat(), "village_ids": [v["id"] for v in tour.villages]}
    args = parse_json(TourUpdateSchema())
    ops.update_tour(tour, _given(args, current), expected_version=args.get("version"))
    return jsonify(TourSchema().dump(tour))


@api.get(MEETINGS)
@documented(MEETINGS_DOC, "get", "The county's on-site meetings (现场办公会), newest first (tour_id)",
            response=MeetingSchema, many=True, tag=TAG)
def list_onsite_meetings(unit_id: int):
    ensure(current_user, Action.MEETINGS_READ, g.unit, target=g.unit)
    tour_id = request.args.get("tour_id", type=int)
    rows = db.session.scalars(queries.meetings_query(g.unit, tour_id).limit(MAX_ROWS)).all()
    return jsonify(MeetingSchema(many=True).dump(rows))


@api.post(MEETINGS)
@documented(MEETINGS_DOC, "post", "Record an on-site meeting of a tour in one of its villages: the day, the place, "
            "the attending leaders and county departments (县直部门)", body=MeetingInSchema, response=MeetingSchema,
            tag=TAG, status=201)
def create_onsite_meeting(unit_id: int):
    ensure(current_user, Action.MEETINGS_MANAGE, g.unit, target=g.unit)
    args = parse_json(MeetingInSchema())
    if args.get("tour_id") is None:
        raise InvalidInput({"tour_id": [_("请选择所属巡察")]})
    tour = queries.load_tour(args["tour_id"], Action.MEETINGS_MANAGE, g.unit, current_user)
    meeting = ops.create_meeting(tour, args)
    return jsonify(MeetingSchema().dump(meeting)), 201


@api.get(f"{MEETINGS}/<int:onsite_meeting_id>")
@documented(f"{MEETINGS_DOC}/{{onsite_meeting_id}}", "get", "One on-site meeting of the county",
            response=MeetingSchema, tag=TAG)
def get_onsite_meeting(unit_id: int, onsite_meeting_id: int):
    return jsonify(MeetingSchema().dump(queries.load_meeting(onsite_meeting_id, Action.MEETINGS_READ, g.unit,
                                                             current_user)))


@api.patch(f"{MEETINGS}/<int:onsite_meeting_id>")
@documented(f"{MEETINGS_DOC}/{{onsite_meeting_id}}", "patch", "Correct a meeting's place, attending leaders and "
            "departments (its village and day stay)", body=MeetingUpdateSchema, response=MeetingSchema, tag=TAG)
def update_onsite_meeting(unit_id: int, onsite_meeting_id: int):
    meeting = queries.load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    args = parse_json(MeetingUpdateSchema())
    current = {"place": meeting.place, "leaders": meeting.leaders, "departments": meeting.departments}
    ops.update_meeting(meeting, _given(args, current), expected_version=args.get("version"))
    return jsonify(MeetingSchema().dump(meeting))


@api.get(f"{MEETINGS}/<int:onsite_meeting_id>/issues")
@documented(f"{MEETINGS_DOC}/{{onsite_meeting_id}}/issues", "get", "The issues villagers raised at the meeting (the "
            "villager's name only where they agreed to be named)", response=IssueSchema, many=True, tag=TAG)
def list_meeting_issues(unit_id: int, onsite_meeting_id: int):
    meeting = queries.load_meeting(onsite_meeting_id, Action.MEETINGS_READ, g.unit, current_user)
    return jsonify(IssueSchema(many=True).dump(queries.issues_of(meeting)))


@api.post(f"{MEETINGS}/<int:onsite_meeting_id>/issues")
@documented(f"{MEETINGS_DOC}/{{onsite_meeting_id}}/issues", "post", "Log an issue: category, summary, the villager "
            "(named or not), answered on the spot (answer) or registered (responsible body, deadline)",
            body=IssueInSchema, response=IssueSchema, tag=TAG, status=201)
def log_meeting_issue(unit_id: int, onsite_meeting_id: int):
    meeting = queries.load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    issue = ops.log_issue(meeting, parse_json(IssueInSchema()))
    return jsonify(IssueSchema().dump(issue)), 201


@api.post(f"{MEETINGS}/<int:onsite_meeting_id>/issues/<int:meeting_issue_id>/done")
@documented(f"{MEETINGS_DOC}/{{onsite_meeting_id}}/issues/{{meeting_issue_id}}/done", "post",
            "A registered issue done (办结) with the note of what was done", body=ResolveInSchema,
            response=IssueSchema, tag=TAG)
def resolve_meeting_issue(unit_id: int, onsite_meeting_id: int, meeting_issue_id: int):
    meeting = queries.load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    issue = queries.load_issue(meeting_issue_id, Action.MEETINGS_MANAGE, g.unit, current_user, meeting)
    args = parse_json(ResolveInSchema())
    ops.resolve_issue(issue, args, current_user, expected_version=args.get("version"))
    return jsonify(IssueSchema().dump(issue))


@api.post(f"{MEETINGS}/<int:onsite_meeting_id>/issues/<int:meeting_issue_id>/deadline")
@documented(f"{MEETINGS_DOC}/{{onsite_meeting_id}}/issues/{{meeting_issue_id}}/deadline", "post",
            "Move a registered issue's deadline, with the reason (the county only)", body=DeadlineInSchema,
            response=IssueSchema, tag=TAG)
def reschedule_meeting_issue(unit_id: int, onsite_meeting_id: int, meeting_issue_id: int):
    meeting = queries.load_meeting(onsite_meeting_id, Action.MEETINGS_MANAGE, g.unit, current_user)
    issue = queries.load_issue(meeting_issue_id, Action.MEETINGS_MANAGE, g.unit, current_user, meeting)
    args = parse_json(DeadlineInSchema())
    ops.change_deadline(issue, args, expected_version=args.get("version"))
    return jsonify(IssueSchema().dump(issue))
