"""Indicator pages: the list with each indicator's scores by child unit, ranked; defining one (province
or city leaders). Scores are numbers from the roll-ups: nothing of a lower unit's records."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import InvalidInput
from core.extensions import db
from reporting.figures import AREAS, CATALOGUE, FIGURES
from reporting.indicators import operations as ops
from reporting.indicators.models import Indicator
from reporting.periods import parse_period
from reporting.rollups import children_of, rollup
from tenants.access import Action, can, deny, ensure
from tenants.scoping import load_scoped

bp = Blueprint("indicators", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/indicators")

TERM_ROWS = 5  # blank term rows on the form
SCORABLE = [f for f in CATALOGUE if f.kind != "total"]


def _terms_from_form() -> list[dict]:
    return [{"figure": request.form.get(f"figure_{i}", ""), "weight": request.form.get(f"weight_{i}", ""),
             "target": request.form.get(f"target_{i}", "")} for i in range(TERM_ROWS)]


def _load_indicator(indicator_id: int, action: Action = Action.ROLLUPS_READ) -> Indicator:
    """An indicator of the acting unit or inherited from above (read); to change one, the unit's own."""
    indicator = load_scoped(Indicator, indicator_id, unit=g.unit, account=current_user, action=action,
                            own=action == Action.INDICATORS_DEFINE)
    if indicator.archived_at is not None:
        deny(action, unit=g.unit, object_type="indicators", object_id=indicator_id)
    return indicator


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ROLLUPS_READ, unit, target=unit)
    period_arg = request.args.get("period")
    try:
        period = parse_period(period_arg) if period_arg else None
    except InvalidInput as exc:
        flash(exc.errors["period"][0], "error")
        period = None
    # Officers and others see their own unit's score; leaders and analysts the ranking of the children.
    children = children_of(unit)
    ranking = bool(children) and can(current_user, Action.ROLLUPS_BREAKDOWN, unit)
    boards = []
    for indicator in ops.indicators_for(unit):
        shown = period or parse_period(indicator.period_kind)
        whole, lines = ops.scores_by_child(indicator, unit, shown) if ranking else (
            ops.score(indicator, rollup(unit, shown, [t["figure"] for t in indicator.terms])), [])
        boards.append((indicator, shown, whole, lines))
    return render_template("indicators/index.html", unit=unit, boards=boards, figures=FIGURES,
                           may_define=can(current_user, Action.INDICATORS_DEFINE, unit), period_arg=period_arg or "")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    ensure(current_user, Action.INDICATORS_DEFINE, g.unit, target=g.unit)
    errors = {}
    if request.method == "POST":
        data = {**request.form, "terms": _terms_from_form()}
        try:
            ops.define_indicator(g.unit, data)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已发布指标：%(n)s", n=data["name"]), "success")
            return redirect(url_for("indicators.index", unit_id=unit_id))
    return _form(None, errors)


@bp.route("/<int:indicator_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int, indicator_id: int):
    indicator = _load_indicator(indicator_id, Action.INDICATORS_DEFINE)
    errors = {}
    if request.method == "POST":
        try:
            ops.update_indicator(indicator, {**request.form, "terms": _terms_from_form()},
                                 expected_version=request.form.get("version", type=int))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已修改指标"), "success")
            return redirect(url_for("indicators.index", unit_id=unit_id))
    return _form(indicator, errors)


@bp.post("/<int:indicator_id>/archive")
@login_required
def archive(unit_id: int, indicator_id: int):
    ops.archive_indicator(_load_indicator(indicator_id, Action.INDICATORS_DEFINE))
    flash(_("已停用该指标"), "success")
    return redirect(url_for("indicators.index", unit_id=unit_id))


def _form(indicator: Indicator | None, errors: dict):
    if request.method == "POST":
        values = {"name": request.form.get("name", ""), "description": request.form.get("description", ""),
                  "period_kind": request.form.get("period_kind", "year"), "terms": _terms_from_form()}
    elif indicator is not None:
        values = {"name": indicator.name, "description": indicator.description,
                  "period_kind": indicator.period_kind, "terms": indicator.terms}
    else:
        values = {"name": "", "description": "", "period_kind": "year", "terms": []}
    terms = list(values["terms"]) + [{}] * (TERM_ROWS - len(values["terms"]))
    return render_template("indicators/form.html", unit=g.unit, indicator=indicator, values=values,
                           terms=terms[:TERM_ROWS], figures=SCORABLE, areas=AREAS, period_kinds=ops.PERIOD_KINDS,
                           errors=errors), 422 if errors else 200
