"""JSON roll-ups: /api/v1/units/<id>/rollup and /rollup/children (numbers only, role-scoped)."""
from __future__ import annotations

from functools import lru_cache

from flask import jsonify, request
from flask_babel import get_locale
from flask_login import current_user

from core.api import api, documented
from core.extensions import db
from reporting import rollups
from reporting.figures import FIGURES
from reporting.periods import parse_period
from reporting.schemas import RollupAnswerSchema, RollupChildrenSchema, RollupSchema
from tenants.access import Action, active_memberships, deny, ensure, rollup_vantage
from tenants.models import Unit
from tenants.resolution import act_at


def load_rollup_unit(unit_id: int) -> Unit:
    """The unit whose figures are asked for, seen from the caller's nearest unit above it (the acting unit from
    then on: the URL names the unit read, not the one acting); 404 when the caller may not read its roll-ups
    (whatever the reason, as for records)."""
    active_memberships(current_user)  # their units first: asked for its own unit, no second query
    unit = db.session.get(Unit, unit_id)
    vantage = rollup_vantage(current_user, unit) if unit is not None and unit.is_active else None
    if vantage is None:
        deny(Action.ROLLUPS_READ, object_type="unit", object_id=unit_id)
    act_at(vantage)  # the subtree's stats rows are readable from there (ORM filter and RLS)
    return unit


def _metric_keys() -> list[str] | None:
    raw = request.args.get("metrics", "")
    return [k.strip() for k in raw.split(",") if k.strip()] or None


def _labels(keys) -> dict[str, dict]:
    locale = str(get_locale())
    return {key: _label(key, locale) for key in keys}


@lru_cache(maxsize=None)
def _label(key: str, locale: str) -> dict:
    # Per figure and language, once for the process: translating 30 labels took ~1 ms of every request.
    figure = FIGURES[key]
    return {"label": str(figure.label), "unit": figure.unit, "kind": figure.kind}


@api.get("/units/<int:unit_id>/rollup")
@documented("/units/{unit_id}/rollup", "get", "A unit's roll-up: its subtree's figures for a period (period=week|"
            "month|quarter|year|2026-W47|2026-11|2026-Q4|2026|2026-11-01..2026-11-20; metrics=comma-separated "
            "figure keys, default the headline set; campaign=zeroing campaign id). Leaders and analysts read their "
            "subtree, other roles their own unit", response=RollupAnswerSchema, tag="reporting")
def unit_rollup(unit_id: int):
    unit = load_rollup_unit(unit_id)
    period = parse_period(request.args.get("period"))
    result = rollups.rollup(unit, period, _metric_keys(), campaign_id=request.args.get("campaign", type=int))
    return jsonify(RollupSchema().dump(result) | {"figures": _labels(result.values)})


@api.get("/units/<int:unit_id>/rollup/children")
@documented("/units/{unit_id}/rollup/children", "get", "The same figures per child unit (its subtree), ranked on "
            "rank_by, then the unit's own level (本级)", response=RollupChildrenSchema, tag="reporting")
def unit_rollup_children(unit_id: int):
    unit = load_rollup_unit(unit_id)
    # Officers and the other roles read their own unit's figures, not its children's.
    ensure(current_user, Action.ROLLUPS_BREAKDOWN, rollup_vantage(current_user, unit), unit)
    period = parse_period(request.args.get("period"))
    lines = rollups.children_rollup(unit, period, _metric_keys(), campaign_id=request.args.get("campaign", type=int))
    rank_by = request.args.get("rank_by")
    ranks = {id(line): rank for rank, line in rollups.ranked(lines, rank_by)} if rank_by in FIGURES else {}
    items = [RollupSchema().dump(line) | {"rank": ranks.get(id(line))} for line in lines]
    return jsonify(unit_id=unit.id, period=period.key, items=items,
                   figures=_labels(lines[-1].values if lines else {}))
