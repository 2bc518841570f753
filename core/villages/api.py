"""JSON API of villages (清廉村居): /api/v1/u/<unit>/villages (a township's villages), …/villages/<id>/gradings (its
grade history; scoring in a round, an override, the submission), …/grading-rounds (the county's rounds; a
township reads its county's), …/grading-rounds/<id>/gradings and …/village-gradings/<id>/decision (the county's
confirmation), …/villages/<id>/plan and …/village-plans/<id>/items (the C village's plan, items closed out).
422 lists every field's reason in Chinese and saves nothing."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core.api import PAGING, api, documented, parse_json
from core.extensions import db
from core.villages import operations as ops
from core.villages import queries
from core.villages.queries import load_grading, load_item, load_plan, load_round, load_village
from core.villages.schemas import (CloseItemInSchema, DecisionInSchema, GradingInSchema, GradingSchema,
                                   PlanInSchema, PlanItemInSchema, PlanItemUpdateSchema, PlanItemSchema, PlanSchema, RegradeInSchema,
                                   VillageReportInSchema, VillageReportSchema, RoundInSchema, RoundSchema, VillageInSchema,
                                   VillageSchema)
from tenants.access import Action, deny, ensure

PREFIX, DOC = "/u/<int:unit_id>/villages", "/u/{unit_id}/villages"
ROUNDS, ROUNDS_DOC = "/u/<int:unit_id>/grading-rounds", "/u/{unit_id}/grading-rounds"
PLANS, PLANS_DOC = "/u/<int:unit_id>/village-plans", "/u/{unit_id}/village-plans"
MAX_PER_PAGE = 200
TAG = "villages"


@api.get(PREFIX)
@documented(DOC, "get", "The township's villages by code (grade A/B/C/none, kind, q, archived, page, per_page)",
            response=VillageSchema, envelope="page", query=PAGING, tag=TAG)
def list_villages(unit_id: int):
    ensure(current_user, Action.VILLAGES_READ, g.unit, target=g.unit)
    stmt = queries.list_query(g.unit, queries.VillageFilter.from_args(request.args))
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=VillageSchema(many=True).dump(rows), total=total, page=page, per_page=per_page)


@api.post(PREFIX)
@documented(DOC, "post", "Add a village or community (12-digit code under the township's own)", body=VillageInSchema,
            response=VillageSchema, tag=TAG, status=201)
def add_village(unit_id: int):
    ensure(current_user, Action.VILLAGES_MANAGE, g.unit, target=g.unit)
    village = ops.add_village(g.unit, parse_json(VillageInSchema()))
    return jsonify(VillageSchema().dump(village)), 201


@api.get(f"{PREFIX}/<int:village_id>")
@documented(f"{DOC}/{{village_id}}", "get", "One village of the township", response=VillageSchema, tag=TAG)
def get_village(unit_id: int, village_id: int):
    return jsonify(VillageSchema().dump(load_village(village_id, Action.VILLAGES_READ, g.unit, current_user)))


@api.get(f"{PREFIX}/<int:village_id>/gradings")
@documented(f"{DOC}/{{village_id}}/gradings", "get", "The village's gradings, newest first (those in force are its "
            "grade history)", response=GradingSchema, envelope="items", tag=TAG)
def village_gradings(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_READ, g.unit, current_user)
    return jsonify(items=GradingSchema(many=True).dump(queries.gradings_of_village(village)))


@api.post(f"{PREFIX}/<int:village_id>/gradings")
@documented(f"{DOC}/{{village_id}}/gradings", "post", "Score the village in a round of the county: scores per "
            "criterion, a leader's override with its reason, and (submit) the grade proposed to the county or in force",
            body=GradingInSchema, response=GradingSchema, tag=TAG)
def grade_village(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    args = parse_json(GradingInSchema())
    round_ = load_round(args["round_id"], Action.VILLAGES_MANAGE, g.unit, current_user, own=False)
    grading = ops.start_grading(village, round_)
    if args["scores"]:
        ops.score(grading, args["scores"], expected_version=args["version"])
    if args["override_grade"] or args["override_reason"]:
        ensure(current_user, Action.VILLAGES_GRADE_OVERRIDE, g.unit, target=g.unit)
        ops.override(grading, args["override_grade"], args["override_reason"])
    if args["submit"]:
        ops.submit(grading)
    return jsonify(GradingSchema().dump(grading))


@api.get(ROUNDS)
@documented(ROUNDS_DOC, "get", "The county's grading rounds (a township: its county's), newest first",
            response=RoundSchema, envelope="items", tag=TAG)
def list_rounds(unit_id: int):
    ensure(current_user, Action.VILLAGES_READ, g.unit, target=g.unit)
    return jsonify(items=RoundSchema(many=True).dump(queries.rounds_for(g.unit)))


@api.post(ROUNDS)
@documented(ROUNDS_DOC, "post", "Open a grading round (定期研判) of the county's villages: period, weighted criteria, "
            "the lines of A and B, whether the county confirms", body=RoundInSchema, response=RoundSchema, tag=TAG,
            status=201)
def open_round(unit_id: int):
    ensure(current_user, Action.GRADING_ROUNDS_MANAGE, g.unit, target=g.unit)
    round_ = ops.open_round(g.unit, parse_json(RoundInSchema()))
    return jsonify(RoundSchema().dump(round_)), 201


@api.get(f"{ROUNDS}/<int:grading_round_id>/gradings")
@documented(f"{ROUNDS_DOC}/{{grading_round_id}}/gradings", "get", "The county's round: its townships' gradings "
            "(state=proposed: those waiting for the county's confirmation)", response=GradingSchema,
            envelope="items", tag=TAG)
def round_gradings(unit_id: int, grading_round_id: int):
    round_ = load_round(grading_round_id, Action.VILLAGES_READ, g.unit, current_user)
    state = request.args.get("state", "")
    return jsonify(items=GradingSchema(many=True).dump(queries.gradings_of_round(round_, g.unit, state)))


@api.post("/u/<int:unit_id>/village-gradings/<int:grading_id>/decision")
@documented("/u/{unit_id}/village-gradings/{grading_id}/decision", "post", "The county confirms a proposed grade "
            "(confirm) or sends it back with a reason (send_back)", body=DecisionInSchema, response=GradingSchema,
            tag=TAG)
def decide(unit_id: int, grading_id: int):
    grading = load_grading(grading_id, Action.GRADING_CONFIRM, g.unit, current_user)
    if grading.county_id != g.unit.id:
        deny(Action.GRADING_CONFIRM, unit=g.unit, object_type="village_gradings", object_id=grading_id)
    args = parse_json(DecisionInSchema())
    if args["decision"] == "confirm":
        ops.confirm(grading, g.unit)
    else:
        ops.send_back(grading, g.unit, args["reason"])
    return jsonify(GradingSchema().dump(grading))


@api.post(f"{PREFIX}/<int:village_id>/plan")
@documented(f"{DOC}/{{village_id}}/plan", "post", "一村一方案 of a C village: its problems (measure, responsible "
            "person, deadline) and the 督改单's signatories", body=PlanInSchema, response=PlanSchema, tag=TAG,
            status=201)
def create_plan(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    plan = ops.create_plan(village, parse_json(PlanInSchema()))
    return jsonify(PlanSchema().dump(plan)), 201


@api.get(f"{PLANS}/<int:village_plan_id>/items")
@documented(f"{PLANS_DOC}/{{village_plan_id}}/items", "get", "The plan's items with their close-out",
            response=PlanItemSchema, envelope="items", tag=TAG)
def plan_items(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_READ, g.unit, current_user)
    return jsonify(items=PlanItemSchema(many=True).dump(plan.items))


@api.post(f"{PLANS}/<int:village_plan_id>/items")
@documented(f"{PLANS_DOC}/{{village_plan_id}}/items", "post", "Add a problem to the plan", body=PlanItemInSchema,
            response=PlanItemSchema, tag=TAG, status=201)
def add_plan_item(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    item = ops.add_item(plan, parse_json(PlanItemInSchema()))
    return jsonify(PlanItemSchema().dump(item)), 201


@api.post(f"{PLANS}/<int:village_plan_id>/items/<int:plan_item_id>/close")
@documented(f"{PLANS_DOC}/{{village_plan_id}}/items/{{plan_item_id}}/close", "post", "销号: close the item with "
            "its evidence (files through the attachments API)", body=CloseItemInSchema, response=PlanItemSchema,
            tag=TAG)
def close_plan_item(unit_id: int, village_plan_id: int, plan_item_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    item = load_item(plan, plan_item_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    args = parse_json(CloseItemInSchema())
    version = args.pop("version", None)
    ops.close_item(item, args, expected_version=version)
    return jsonify(PlanItemSchema().dump(item))


@api.patch(f"{PLANS}/<int:village_plan_id>/items/<int:plan_item_id>")
@documented(f"{PLANS_DOC}/{{village_plan_id}}/items/{{plan_item_id}}", "patch", "Correct an open item (problem, "
            "measure, responsible person, deadline with its reason); fields not sent keep their value",
            body=PlanItemUpdateSchema, response=PlanItemSchema, tag=TAG)
def update_plan_item(unit_id: int, village_plan_id: int, plan_item_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    item = load_item(plan, plan_item_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    args = parse_json(PlanItemUpdateSchema())
    version = args.pop("version", None)
    ops.update_item(item, args, expected_version=int(version) if str(version or "").isdigit() else None)
    return jsonify(PlanItemSchema().dump(item))


@api.post(f"{PREFIX}/<int:village_id>/regrade")
@documented(f"{DOC}/{{village_id}}/regrade", "post", "提请重新评定: a C village whose plan is all closed out; the "
            "township's leader proposes A or B with the reason, the county confirms", body=RegradeInSchema,
            response=GradingSchema, tag=TAG, status=201)
def propose_regrade(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_GRADE_OVERRIDE, g.unit, current_user)
    args = parse_json(RegradeInSchema())
    return jsonify(GradingSchema().dump(ops.propose_regrade(village, args["grade"], args["reason"]))), 201


@api.get(f"{PLANS}/<int:village_plan_id>/reports")
@documented(f"{PLANS_DOC}/{{village_plan_id}}/reports", "get", "The monthly reports the township's 一把手 heard",
            response=VillageReportSchema, envelope="items", tag=TAG)
def plan_reports(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_READ, g.unit, current_user)
    return jsonify(items=VillageReportSchema(many=True).dump(queries.reports_of(plan)))


@api.post(f"{PLANS}/<int:village_plan_id>/reports")
@documented(f"{PLANS_DOC}/{{village_plan_id}}/reports", "post", "Log the month's report heard by the township's "
            "一把手 (每月听取1次汇报)", body=VillageReportInSchema, response=VillageReportSchema, tag=TAG, status=201)
def log_plan_report(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    return jsonify(VillageReportSchema().dump(ops.log_report(plan, parse_json(VillageReportInSchema())))), 201
