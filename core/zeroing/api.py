"""JSON API of the zeroing campaign: the unit's ledger (/api/v1/u/<unit>/campaigns/<id>/ledger), its
figures, and the steps on a backlog case. The unit sees its own cases and its subtree's numbers."""
from __future__ import annotations

from flask import g, jsonify, request

from core import calendar
from core.api import api, documented, parse_json
from core.extensions import db
from core.zeroing import operations as ops
from core.zeroing import queries
from core.zeroing.queries import load_campaign, load_case
from core.zeroing.schemas import BacklogCaseSchema, CaseStepSchema, LedgerSchema
from core.zeroing.workflow import STEP_ACTIONS

PREFIX, DOC = "/u/<int:unit_id>/campaigns/<int:campaign_id>", "/u/{unit_id}/campaigns/{campaign_id}"


@api.get(f"{PREFIX}/ledger")
@documented(f"{DOC}/ledger", "get", "The unit's backlog ledger (state, overdue=1, sampled=1) and its subtree's "
            "figures this week", response=LedgerSchema, tag="zeroing")
def campaign_ledger(unit_id: int, campaign_id: int):
    campaign = load_campaign(campaign_id)
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
    campaign = load_campaign(campaign_id)
    args = parse_json(CaseStepSchema())
    step = args["step"]
    case = load_case(campaign, backlog_case_id, STEP_ACTIONS[step])
    ops.take_step(case, step, args["data"], expected_version=args["version"])
    return jsonify(BacklogCaseSchema().dump(case))
