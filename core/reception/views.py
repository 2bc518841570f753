"""HTML pages of the reception room (轮流坐班接访 · 三访合一): the month's rota with its covered and uncovered days,
today's receptionist, the receptions (filters, the new reception form) and the ledger; a reception's page (the person
masked, the audited reveal, the petition registered from it in one step); the rota's edit page (by day, or round-robin
over chosen staff) and the swaps. The panel a petition's page shows when it came from a reception."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.schemas import bounded_int
from core.petitions.models import ACCUSED_LEVEL_LABELS
from core.petitions.operations import categories_for
from core.reception import operations as ops
from core.reception import queries
from core.reception.models import Reception
from core.reception.queries import load_reception
from core.reception.workflow import KIND_HINTS, KINDS, PERSON_FIELDS
from tenants.access import Action, can, ensure

bp = Blueprint("reception", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/reception")
PER_PAGE = 50


def _may(action: Action) -> bool:
    return can(current_user, action, g.unit, target=g.unit)


def _month_arg() -> str:
    return queries.parse_month(request.args.get("month")) or queries.this_month()


# ---------------------------------------------------------------- the room: rota, today, receptions


def _index_page(*, errors: dict | None = None, form=None, status: int = 200):
    unit = g.unit
    today = calendar.today()
    month = _month_arg()
    f = queries.ReceptionFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    may_log = _may(Action.RECEPTION_LOG)
    staff = queries.staff_of(unit)
    on_duty = queries.receptionist_on(unit, today)
    return render_template(
        "reception/index.html", unit=unit, today=today, rota=queries.rota_view(unit, month), on_duty=on_duty,
        workday=calendar.is_workday(today), receptions=rows[:PER_PAGE], has_more=len(rows) > PER_PAGE, page=page,
        f=f, args=f.as_args(), kinds=KINDS, kind_hints=KIND_HINTS, staff=staff, fields=PERSON_FIELDS,
        may_log=may_log, may_rota=_may(Action.RECEPTION_ROTA), errors=errors or {},
        form=form or {"received_on": today.isoformat(), "kind": "walk_in",
                      "staff_id": str(on_duty.account_id if on_duty else current_user.id)}), status


@bp.get("")
@login_required
def index(unit_id: int):
    ensure(current_user, Action.RECEPTION_READ, g.unit, target=g.unit)
    return _index_page()


@bp.post("")
@login_required
def new(unit_id: int):
    ensure(current_user, Action.RECEPTION_LOG, g.unit, target=g.unit)
    try:
        reception = ops.log_reception(g.unit, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _index_page(errors=exc.errors, form=request.form, status=422)
    flash(_("已登记：%(n)s", n=reception.number), "success")
    return redirect(url_for("reception.show", unit_id=unit_id, reception_id=reception.id))


@bp.get("/ledger.xlsx")
@login_required
def ledger(unit_id: int):
    """接访登记台账: the export of the list (counted, audited, a job when long)."""
    ensure(current_user, Action.RECEPTION_READ, g.unit, target=g.unit)
    return redirect(url_for("exports.confirm", unit_id=unit_id, kind="reception", **request.args.to_dict()))


# ---------------------------------------------------------------- one reception


def _detail(reception: Reception, *, revealed: dict | None = None, errors: dict | None = None, reason: str = "",
            convert_errors: dict | None = None, form=None, status: int = 200):
    unit = g.unit
    may_convert = reception.petition_id is None and _may(Action.RECEPTION_LOG) and _may(Action.PETITIONS_REGISTER)
    return render_template(
        "reception/detail.html", unit=unit, r=reception, fields=PERSON_FIELDS, revealed=revealed,
        person=ops.masked_person(reception), errors=errors or {}, reason=reason,
        can_reveal=not reception.anonymous and _may(Action.INFORMANT_REVEAL),
        may_convert=may_convert, convert_errors=convert_errors or {},
        form=form or {"summary": reception.matter[:ops.SUMMARY_LIMIT]},
        categories=categories_for(unit) if may_convert else [], levels=ACCUSED_LEVEL_LABELS,
        petition_link=url_for("petitions.show", unit_id=unit.id, petition_id=reception.petition_id)
        if reception.petition_id and _may(Action.PETITIONS_READ) else None), status


@bp.get("/<int:reception_id>")
@login_required
def show(unit_id: int, reception_id: int):
    return _detail(load_reception(reception_id, Action.RECEPTION_READ, g.unit, current_user))


@bp.post("/<int:reception_id>/reveal")
@login_required
def reveal(unit_id: int, reception_id: int):
    reception = load_reception(reception_id, Action.INFORMANT_REVEAL, g.unit, current_user)
    ensure(current_user, Action.RECEPTION_READ, g.unit, object_type="receptions", object_id=reception_id)
    reason = request.form.get("reason", "")
    try:
        revealed = ops.reveal_person(reception, reason)
    except InvalidInput as exc:
        return _detail(reception, errors=exc.errors, reason=reason, status=422)
    return _detail(reception, revealed=revealed)


@bp.post("/<int:reception_id>/petition")
@login_required
def convert(unit_id: int, reception_id: int):
    """登记为信访举报件: one step from the reception's page."""
    reception = load_reception(reception_id, Action.RECEPTION_LOG, g.unit, current_user)
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, object_type="receptions", object_id=reception_id)
    try:
        petition = ops.register_petition_from(reception, request.form.to_dict(),
                                              expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        reception = load_reception(reception_id, Action.RECEPTION_LOG, g.unit, current_user)
        return _detail(reception, convert_errors=exc.errors, form=request.form, status=422)
    flash(_("已登记为信访举报件：%(n)s", n=petition.number), "success")
    return redirect(url_for("reception.show", unit_id=unit_id, reception_id=reception_id))


# ---------------------------------------------------------------- the rota and the swaps


def _rota_page(month: str, *, errors: dict | None = None, form=None, status: int = 200):
    unit = g.unit
    view = queries.rota_view(unit, month)
    return render_template("reception/rota.html", unit=unit, rota=view, staff=queries.staff_of(unit),
                           errors=errors or {}, form=form, today=calendar.today()), status


@bp.get("/rota")
@login_required
def rota(unit_id: int):
    ensure(current_user, Action.RECEPTION_ROTA, g.unit, target=g.unit)
    return _rota_page(_month_arg())


@bp.post("/rota")
@login_required
def save_rota(unit_id: int):
    ensure(current_user, Action.RECEPTION_ROTA, g.unit, target=g.unit)
    month = queries.parse_month(request.form.get("month")) or queries.this_month()
    version = request.form.get("version", type=int)
    try:
        if request.form.get("generate"):
            ops.generate_rota(g.unit, {"month": request.form.get("month"),
                                       "account_ids": request.form.getlist("account_ids")}, expected_version=version)
        else:
            days = {key[4:]: value for key, value in request.form.items() if key.startswith("day_")}
            ops.set_rota(g.unit, {"month": request.form.get("month"), "days": days}, expected_version=version)
    except InvalidInput as exc:
        db.session.rollback()
        return _rota_page(month, errors=exc.errors, form=request.form, status=422)
    flash(_("%(m)s 接访排班已保存", m=month), "success")
    return redirect(url_for("reception.index", unit_id=unit_id, month=month))


def _swaps_page(*, errors: dict | None = None, form=None, status: int = 200):
    unit = g.unit
    return render_template("reception/swaps.html", unit=unit, swaps=queries.swaps_of(unit),
                           staff=queries.staff_of(unit), may_rota=_may(Action.RECEPTION_ROTA), errors=errors or {},
                           form=form or {}, today=calendar.today()), status


@bp.get("/swaps")
@login_required
def swaps(unit_id: int):
    ensure(current_user, Action.RECEPTION_READ, g.unit, target=g.unit)
    return _swaps_page()


@bp.post("/swaps")
@login_required
def swap(unit_id: int):
    ensure(current_user, Action.RECEPTION_ROTA, g.unit, target=g.unit)
    try:
        recorded = ops.record_swap(g.unit, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _swaps_page(errors=exc.errors, form=request.form, status=422)
    flash(_("已记录调班：%(a)s ⇄ %(b)s", a=recorded.first_name, b=recorded.second_name), "success")
    return redirect(url_for("reception.swaps", unit_id=unit_id))


# ---------------------------------------------------------------- the petition's page (core.areas.RECORD_PANELS)


def petition_panel(record) -> Markup:
    """来自接访登记: on a petition's page, the reception it was registered from (its own unit's page only; the link
    where the account reads receptions). Empty for any other record."""
    unit = g.get("unit")
    if getattr(record, "__tablename__", "") != "petitions" or unit is None or record.unit_id != unit.id:
        return Markup("")
    reception = queries.reception_of_petition(record)
    if reception is None:
        return Markup("")
    return Markup(render_template(
        "reception/_petition_panel.html", r=reception,
        href=url_for("reception.show", unit_id=unit.id, reception_id=reception.id)
        if can(current_user, Action.RECEPTION_READ, unit) else None))
