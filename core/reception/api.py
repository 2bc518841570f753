"""JSON API of the reception room: /api/v1/u/<unit>/receptions (list, log, one, register as a petition) and
/api/v1/u/<unit>/reception-rota (the month's rota, set or generated round-robin; swaps). The unit's own records only
(404 elsewhere). 422 lists every field's reason in Chinese and saves nothing. The person received is accepted on
logging and never returned; revealing them stays a page with a stated reason, audited."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user

from core.api import api, documented, parse_json
from core.extensions import db
from core.reception import operations as ops
from core.reception import queries
from core.reception.schemas import (ConvertInSchema, ReceptionInSchema, ReceptionSchema, RotaInSchema, RotaSchema,
                                    SwapInSchema, SwapSchema)
from core.errors import InvalidInput
from flask_babel import gettext as _
from tenants.access import Action, ensure

RECEPTIONS, RECEPTIONS_DOC = "/u/<int:unit_id>/receptions", "/u/{unit_id}/receptions"
ROTA, ROTA_DOC = "/u/<int:unit_id>/reception-rota", "/u/{unit_id}/reception-rota"
TAG = "reception"
MAX_ROWS = 500
LIST_QUERY = {
    "kind": ({"type": "string", "enum": ["walk_in", "visit", "appointment"]}, "接访, 下访 or 约访"),
    "date_from": ({"type": "string", "format": "date"}, "received on or after"),
    "date_to": ({"type": "string", "format": "date"}, "received on or before"),
    "converted": ({"type": "string", "enum": ["0", "1"]}, "1: registered as petitions; 0: not"),
    "staff_id": ({"type": "integer", "minimum": 1}, "the staff member who received"),
}


def _rota_answer(unit, month: str) -> dict:
    view = queries.rota_view(unit, month)
    days = [{"day": d.day, "weekday": d.weekday, "workday": d.workday, "makeup": d.makeup, "holiday": d.holiday,
             "covered": d.duty is not None, "staff_id": d.duty.account_id if d.duty else None,
             "staff_name": d.duty.staff_name if d.duty else None} for d in view["days"]]
    return RotaSchema().dump({"month": month, "set": view["rota"] is not None, "working_days": view["working"],
                              "covered": view["covered"], "uncovered": view["uncovered"], "days": days,
                              "swaps": queries.swaps_of(unit, month),
                              "version": view["rota"].version if view["rota"] else None})


@api.get(RECEPTIONS)
@documented(RECEPTIONS_DOC, "get", "The unit's receptions (接访、下访、约访), newest first (kind, date_from, date_to, "
            "converted, staff_id); the person received is never returned", response=ReceptionSchema, many=True,
            tag=TAG, query=LIST_QUERY)
def list_receptions(unit_id: int):
    ensure(current_user, Action.RECEPTION_READ, g.unit, target=g.unit)
    f = queries.ReceptionFilter.from_args(request.args)
    return jsonify(ReceptionSchema(many=True).dump(db.session.scalars(
        queries.list_query(g.unit, f).limit(MAX_ROWS)).all()))


@api.post(RECEPTIONS)
@documented(RECEPTIONS_DOC, "post", "Log a reception: kind, day, staff member, place, the person received (sealed) "
            "or anonymous, the matter and the outcome", body=ReceptionInSchema, response=ReceptionSchema, tag=TAG,
            status=201)
def log_reception(unit_id: int):
    ensure(current_user, Action.RECEPTION_LOG, g.unit, target=g.unit)
    reception = ops.log_reception(g.unit, parse_json(ReceptionInSchema()))
    return jsonify(ReceptionSchema().dump(reception)), 201


@api.get(f"{RECEPTIONS}/<int:reception_id>")
@documented(f"{RECEPTIONS_DOC}/{{reception_id}}", "get", "One reception of the unit", response=ReceptionSchema,
            tag=TAG)
def get_reception(unit_id: int, reception_id: int):
    return jsonify(ReceptionSchema().dump(queries.load_reception(reception_id, Action.RECEPTION_READ, g.unit,
                                                                 current_user)))


@api.post(f"{RECEPTIONS}/<int:reception_id>/petition")
@documented(f"{RECEPTIONS_DOC}/{{reception_id}}/petition", "post", "Register the reception as a petition in one step "
            "(channel visit, the person received as its informant): the accused, the category and the summary; "
            "answers the reception with the petition's id and number", body=ConvertInSchema,
            response=ReceptionSchema, tag=TAG, status=201)
def convert_reception(unit_id: int, reception_id: int):
    reception = queries.load_reception(reception_id, Action.RECEPTION_LOG, g.unit, current_user)
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, object_type="receptions", object_id=reception_id)
    args = parse_json(ConvertInSchema())
    ops.register_petition_from(reception, args, expected_version=args.get("version"))
    return jsonify(ReceptionSchema().dump(reception)), 201


@api.get(ROTA)
@documented(ROTA_DOC, "get", "The reception room's rota of a month (month=YYYY-MM, default this month): every day, "
            "working or not (调休 working weekend days marked), its receptionist, the covered and uncovered working "
            "days, the month's swaps", response=RotaSchema, tag=TAG,
            query={"month": ({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "YYYY-MM (default: this month)")})
def get_reception_rota(unit_id: int):
    ensure(current_user, Action.RECEPTION_READ, g.unit, target=g.unit)
    month = request.args.get("month")
    parsed = queries.parse_month(month) if month else queries.this_month()
    if parsed is None:
        raise InvalidInput({"month": [_("请填写排班月份（如 2026-12）")]})
    return jsonify(_rota_answer(g.unit, parsed))


@api.put(ROTA)
@documented(ROTA_DOC, "put", "Set a month's rota (leader): days (working day -> account id), or account_ids to "
            "generate it round-robin over the working days", body=RotaInSchema, response=RotaSchema, tag=TAG)
def set_reception_rota(unit_id: int):
    ensure(current_user, Action.RECEPTION_ROTA, g.unit, target=g.unit)
    args = parse_json(RotaInSchema())
    if args.get("days") is None and args.get("account_ids"):
        rota = ops.generate_rota(g.unit, args, expected_version=args.get("version"))
    else:
        rota = ops.set_rota(g.unit, args, expected_version=args.get("version"))
    return jsonify(_rota_answer(g.unit, rota.month))


@api.post(f"{ROTA}/swaps")
@documented(f"{ROTA_DOC}/swaps", "post", "Record a swap (调班) between two staff: first_day and second_day "
            "exchanged, or second_account_id covering first_day (代班); a reason", body=SwapInSchema,
            response=SwapSchema, tag=TAG, status=201)
def record_reception_swap(unit_id: int):
    ensure(current_user, Action.RECEPTION_ROTA, g.unit, target=g.unit)
    return jsonify(SwapSchema().dump(ops.record_swap(g.unit, parse_json(SwapInSchema())))), 201
