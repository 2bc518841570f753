"""JSON API of the zeroing campaign: the unit's ledger (/api/v1/u/<unit>/campaigns/<id>/ledger), its
figures, and the steps on a backlog case. The unit sees its own cases and its subtree's numbers."""
from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_login import current_user

from core import calendar
from core.api import api, documented, parse_json
from core.directives.models import Directive
from core.extensions import db
from core.zeroing import operations as ops
from core.zeroing import queries
from core.zeroing.models import PURPOSE, BacklogCase
from core.zeroing.schemas import BacklogCaseSchema, CaseStepSchema
from tenants.access import Action
from tenants.scoping import load_scoped

PREFIX, DOC = "/u/<int:unit_id>/campaigns/<int:campaign_id>", "/u/{unit_id}/campaigns/{campaign_id}"
STEP_ACTIONS = {"adopt": Action.ZEROING_HANDLE, "decline": Action.ZEROING_HANDLE, "plan": Action.ZEROING_HANDLE,
                "visit": Action.ZEROING_HANDLE, "close_out": Action.ZEROING_HANDLE, "recheck": Action.ZEROING_RECHECK}


def _campaign(campaign_id: int) -> Directive:
    campaign = load_scoped(Directive, campaign_id, unit=g.unit, account=current_user, action=Action.ZEROING_READ)
    if campaign.purpose != PURPOSE:
        abort(404)
    return campaign


@api.get(f"{PREFIX}/ledger")
@documented(f"{DOC}/ledger", "get", "The unit's backlog ledger (state, overdue=1, sampled=1) and its subtree's "
            "figures this week", response=BacklogCaseSchema, many=True, tag="zeroing")
def campaign_ledger(unit_id: int, campaign_id: int):
    campaign = _campaign(campaign_id)
    today = calendar.today()
    cases = db.session.scalars(queries.ledger_query(campaign, g.unit, queries.LedgerFilter.from_args(request.args),
                                                    today)).all()
    week_start = today.fromordinal(today.toordinal() - today.weekday())
    return jsonify(items=BacklogCaseSchema(many=True).dump(cases),
                   figures=ops.figures(campaign.id, g.unit, week_start, today),
                   phase=queries.current_phase_name(campaign, today))


@api.post(f"{PREFIX}/ledger/<int:backlog_case_id>/steps")
@documented(f"{DOC}/ledger/{{backlog_case_id}}/steps", "post", "A step on a backlog case: adopt (owner_name, "
            "owner_position, task_force, plan, target_on), decline (reason), plan, visit (kind, visited_on, leader, "
            "place, met, outcome), close_out (basis resolved|concluded, note), recheck (result pass|fail, "
            "checked_by, note). 409 on a stale version or a step not allowed now; 422 lists field errors",
            body=CaseStepSchema, response=BacklogCaseSchema, tag="zeroing")
def backlog_case_step(unit_id: int, campaign_id: int, backlog_case_id: int):
    campaign = _campaign(campaign_id)
    args = parse_json(CaseStepSchema())
    step = args["step"]
    case = load_scoped(BacklogCase, backlog_case_id, unit=g.unit, account=current_user, action=STEP_ACTIONS[step])
    if case.directive_id != campaign.id or case.unit_id != g.unit.id:
        abort(404)
    data, version = args["data"], args["version"]
    match step:
        case "adopt":
            ops.adopt(case, data, expected_version=version)
        case "decline":
            ops.decline(case, data.get("reason", ""), expected_version=version)
        case "plan":
            ops.update_plan(case, data, expected_version=version)
        case "visit":
            ops.record_visit(case, data)
        case "close_out":
            ops.close_out(case, data, expected_version=version)
        case "recheck":
            ops.record_recheck(case, data, expected_version=version)
    return jsonify(BacklogCaseSchema().dump(case))
