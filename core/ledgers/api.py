"""JSON API of the ledgers: /api/v1/u/<unit>/ledgers (a township's ledgers with their state; at a county, the
completeness of its townships), …/ledgers/<number>/rows (a ledger's rows, by its number 第N项; a kept one's row added), …/spot-checks (the
county's checks, or the township's checks of its ledgers; a check drawn, findings, the conclusion). 422 lists every
field's reason in Chinese and saves nothing."""
from __future__ import annotations

from flask import g, jsonify
from flask_login import current_user

from core import calendar
from core.api import api, documented, parse_json
from core.ledgers import operations as ops
from core.ledgers import queries
from core.ledgers.schemas import (CompletenessSchema, ConcludeInSchema, FindingInSchema, FindingSchema, LedgerSchema,
                                  RowInSchema, RowSchema, RowsSchema, SpotCheckInSchema, SpotCheckSchema)
from tenants.access import Action, deny, ensure
from tenants.models import UnitLevel

LEDGERS, LEDGERS_DOC = "/u/<int:unit_id>/ledgers", "/u/{unit_id}/ledgers"
CHECKS, CHECKS_DOC = "/u/<int:unit_id>/spot-checks", "/u/{unit_id}/spot-checks"
TAG = "ledgers"
MAX_ROWS = 1000


def _ledger(state) -> dict:
    d = state.definition
    return {"number": d.position + 1, "code": d.code, "title": d.title, "kind": d.kind, "period": d.period, "columns": d.columns,
            "rows_this_month": state.rows_this_month, "total": state.total, "last_date": state.last_date,
            "state": state.state, "state_label": state.state_label}


@api.get(LEDGERS)
@documented(LEDGERS_DOC, "get", "A township's ledgers (18项台账) with rows this month, the last entry and whether each "
            "is current for its period; at a county or above, the completeness of each township below",
            response=LedgerSchema, many=True, tag=TAG)
def list_ledgers(unit_id: int):
    ensure(current_user, Action.LEDGERS_READ, g.unit, target=g.unit)
    if g.unit.level == UnitLevel.TOWNSHIP:
        return jsonify(LedgerSchema(many=True).dump([_ledger(s) for s in queries.ledger_states(g.unit)]))
    towns = queries.townships_below(g.unit)
    figures = queries.completeness_by_unit(towns, calendar.today())
    return jsonify(CompletenessSchema(many=True).dump(
        [{"unit_id": t.id, "name": t.name, **figures.get(t.id, {})} for t in towns]))


@api.get(f"{LEDGERS}/<int:number>/rows")
@documented(f"{LEDGERS_DOC}/{{number}}/rows", "get", "A ledger's rows, the ledger by its number in the catalogue "
            "(its ``number``: 第N项): a generated one's exactly as its export lists them, a kept one's as entered (at most "
            "1000; the workbook has them all)", response=RowsSchema, tag=TAG)
def ledger_rows(unit_id: int, number: int):
    definition = queries.load_numbered(g.unit, number, current_user)
    code = definition.code
    if not queries.readable(definition, current_user, g.unit):
        deny(Action.LEDGER_ROWS_READ, unit=g.unit, object_type="ledger_definitions", object_id=code)
    rows = []
    for i, row in enumerate(queries.rows_of(g.unit, definition)):
        if i >= MAX_ROWS:
            break
        rows.append([v.isoformat() if hasattr(v, "isoformat") else v for v in row])
    return jsonify(RowsSchema().dump({"code": definition.code, "header": queries.header_of(definition), "rows": rows,
                                      "total": queries.count_of(g.unit, definition)}))


@api.post(f"{LEDGERS}/<int:number>/rows")
@documented(f"{LEDGERS_DOC}/{{number}}/rows", "post", "Enter a row of a kept ledger (by its number in the catalogue): "
            "its day and its typed values by column key", body=RowInSchema, response=RowSchema, tag=TAG, status=201)
def add_ledger_row(unit_id: int, number: int):
    definition = queries.load_numbered(g.unit, number, current_user, Action.LEDGERS_KEEP)
    args = parse_json(RowInSchema())
    row = ops.add_row(g.unit, definition, {**args.get("values", {}), "entry_date": args.get("entry_date")})
    return jsonify(RowSchema().dump(row)), 201


@api.get(CHECKS)
@documented(CHECKS_DOC, "get", "Spot checks (随时抽查): the county's, or those of the township's ledgers",
            response=SpotCheckSchema, many=True, tag=TAG)
def list_spot_checks(unit_id: int):
    ensure(current_user, Action.SPOT_CHECKS_READ, g.unit, target=g.unit)
    return jsonify(SpotCheckSchema(many=True).dump(queries.checks_of(g.unit)))


@api.post(CHECKS)
@documented(CHECKS_DOC, "post", "Draw a spot check of a township's kept ledger: rows of a period at random (count) or "
            "chosen (positions), shared to the checker until ends_on", body=SpotCheckInSchema,
            response=SpotCheckSchema, tag=TAG, status=201)
def draw_spot_check(unit_id: int):
    ensure(current_user, Action.SPOT_CHECKS_DRAW, g.unit, target=g.unit)
    check = ops.draw_check(g.unit, parse_json(SpotCheckInSchema()))
    return jsonify(SpotCheckSchema().dump(check)), 201


@api.get(f"{CHECKS}/<int:spot_check_id>")
@documented(f"{CHECKS_DOC}/{{spot_check_id}}", "get", "One spot check with its findings", response=SpotCheckSchema,
            tag=TAG)
def get_spot_check(unit_id: int, spot_check_id: int):
    return jsonify(SpotCheckSchema().dump(queries.load_check(spot_check_id, g.unit, current_user)))


@api.post(f"{CHECKS}/<int:spot_check_id>/findings")
@documented(f"{CHECKS_DOC}/{{spot_check_id}}/findings", "post", "The checker's finding on one drawn row: pass, or fail "
            "with the problem", body=FindingInSchema, response=FindingSchema, tag=TAG, status=201)
def record_spot_finding(unit_id: int, spot_check_id: int):
    check = queries.load_check(spot_check_id, g.unit, current_user, Action.SPOT_CHECKS_DRAW)
    finding = ops.record_finding(check, parse_json(FindingInSchema()))
    return jsonify(FindingSchema().dump(finding)), 201


@api.post(f"{CHECKS}/<int:spot_check_id>/conclusion")
@documented(f"{CHECKS_DOC}/{{spot_check_id}}/conclusion", "post", "The checker's overall conclusion (qualified / "
            "unqualified); the drawn rows' shares end", body=ConcludeInSchema, response=SpotCheckSchema, tag=TAG)
def conclude_spot_check(unit_id: int, spot_check_id: int):
    check = queries.load_check(spot_check_id, g.unit, current_user, Action.SPOT_CHECKS_DRAW)
    return jsonify(SpotCheckSchema().dump(ops.conclude(check, parse_json(ConcludeInSchema()))))
