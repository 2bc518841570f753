"""HTML pages of villages (清廉村居): a township's villages (added, imported with a dry run, archived), each
village's page with its grade history and plan; the grading of a village in a round (scores, override,
submission; the county's confirmation); the county's rounds and the distribution of grades by township; a C
village's plan (一村一方案) with its items closed out, its monthly reports and its 重点问题督改单 (Word, PDF)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import calendar
from core.documents import docx_response
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.renditions.serve import pdf_download
from core.villages import documents, queries
from core.villages import operations as ops
from core.villages.models import Village, VillageGrading
from core.villages.queries import (load_grading, load_item, load_own_grading, load_plan, load_round, load_village)
from core.villages.workflow import (EDITABLE, GRADE_LABELS, GRADES, GRADING_STATES, ITEM_STATES, KIND_LABELS,
                                    PLAN_STATES)
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit, UnitLevel, UnitStat, descendants_query

bp = Blueprint("villages", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/villages")
PER_PAGE = 100
ITEM_ROWS = 3  # rows of problems on the plan's form


def _labels() -> dict:
    return {"KIND_LABELS": KIND_LABELS, "GRADE_LABELS": GRADE_LABELS, "GRADES": GRADES,
            "GRADING_STATES": GRADING_STATES, "PLAN_STATES": PLAN_STATES, "ITEM_STATES": ITEM_STATES,
            "EDITABLE": EDITABLE, "today": calendar.today()}


def _may(action: Action) -> bool:
    return can(current_user, action, g.unit, target=g.unit)


def _fail(exc: InvalidInput, endpoint: str, **args):
    db.session.rollback()
    for message in exc.messages:
        flash(message, "error")
    return redirect(url_for(endpoint, unit_id=g.unit.id, **args))


# ---------------------------------------------------------------- the list (township) or the overview (county)


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.VILLAGES_READ, unit, target=unit)
    if unit.level != UnitLevel.TOWNSHIP:
        return _county_overview(unit)
    f = queries.VillageFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(queries.list_query(unit, f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    rounds = queries.open_rounds_for(unit)
    in_round = {r.id: queries.gradings_in_round(unit, r) for r in rounds}
    return render_template("villages/index.html", **_labels(), unit=unit, villages=rows[:PER_PAGE], page=page,
                           has_more=len(rows) > PER_PAGE, f=f, args=f.as_args(), rounds=rounds, in_round=in_round,
                           plans=queries.plans_of(unit), may_manage=_may(Action.VILLAGES_MANAGE))


def _distribution(county: Unit) -> list[dict]:
    """Each township's villages by grade (its figures: numbers only), for the county's page."""
    towns = db.session.scalars(descendants_query(county).where(Unit.level == UnitLevel.TOWNSHIP,
                                                               Unit.parent_id == county.id)).all()
    metrics = ("villages.count", "villages.grade.a", "villages.grade.b", "villages.grade.c", "villages.c_with_plan",
               "villages.plan_items.open", "villages.plan_items.overdue", "villages.lifted_from_c")
    values: dict = {}
    for row in db.session.scalars(select(UnitStat).where(UnitStat.unit_id.in_([t.id for t in towns]),
                                                         UnitStat.metric.in_(metrics), UnitStat.period == "")):
        values[(row.unit_id, row.metric)] = row.value
    return [{"unit": t, **{m.split("villages.")[1]: values.get((t.id, m), 0) for m in metrics}} for t in towns]


def _county_overview(county: Unit):
    return render_template("villages/county.html", **_labels(), unit=county, rounds=queries.rounds_for(county),
                           distribution=_distribution(county), regrades=queries.pending_regrades(county),
                           may_rounds=_may(Action.GRADING_ROUNDS_MANAGE), may_confirm=_may(Action.GRADING_CONFIRM))


# ---------------------------------------------------------------- villages: add, edit, import, archive


def _village_form(raw) -> dict:
    return {k: raw.get(k, "") for k in ("name", "code", "kind", "secretary_name", "secretary_position", "head_name",
                                        "head_position")}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(unit_id: int):
    ensure(current_user, Action.VILLAGES_MANAGE, g.unit, target=g.unit)
    errors, form = {}, request.form if request.method == "POST" else {"kind": "village"}
    if request.method == "POST":
        try:
            village = ops.add_village(g.unit, _village_form(request.form))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已登记：%(name)s", name=village.name), "success")
            return redirect(url_for("villages.show", unit_id=unit_id, village_id=village.id))
    return render_template("villages/form.html", **_labels(), unit=g.unit, form=form, errors=errors,
                           village=None), 422 if errors else 200


@bp.route("/<int:village_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    errors, form = {}, request.form if request.method == "POST" else _village_form(village.__dict__)
    if request.method == "POST":
        try:
            ops.update_village(village, _village_form(request.form),
                               expected_version=request.form.get("version", type=int))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
            village = db.session.get(Village, village_id)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("villages.show", unit_id=unit_id, village_id=village_id))
    return render_template("villages/form.html", **_labels(), unit=g.unit, form=form, errors=errors,
                           village=village), 422 if errors else 200


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_sheet(unit_id: int):
    """导入: an xlsx of the township's villages; 预检 shows every row's check and saves nothing."""
    ensure(current_user, Action.VILLAGES_MANAGE, g.unit, target=g.unit)
    result, errors = None, {}
    if request.method == "POST":
        file = request.files.get("file")
        dry_run = request.form.get("mode") != "save"
        try:
            result = ops.import_villages(g.unit, file.read() if file else b"", dry_run=dry_run)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            if result["created"]:
                flash(_("已导入 %(n)s 个村（社区）", n=result["created"]), "success")
                return redirect(url_for("villages.index", unit_id=unit_id))
            if not dry_run:
                db.session.rollback()
                errors = {"file": [_("有 %(n)s 行未通过检查，未导入任何数据；请修改后重新导入", n=result["refused"])]}
    return render_template("villages/import.html", **_labels(), unit=g.unit, result=result, errors=errors,
                           columns=ops.IMPORT_COLUMNS), 422 if errors else 200


@bp.post("/<int:village_id>/archive")
@login_required
def archive(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    try:
        ops.archive_village(village, request.form.get("reason", ""))
    except InvalidInput as exc:
        return _fail(exc, "villages.show", village_id=village_id)
    flash(_("已归档：%(name)s", name=village.name), "success")
    return redirect(url_for("villages.index", unit_id=unit_id))


@bp.get("/<int:village_id>")
@login_required
def show(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_READ, g.unit, current_user)
    plan = ops.active_plan(village)
    return render_template(
        "villages/detail.html", **_labels(), unit=g.unit, village=village, history=queries.grade_history(village),
        gradings=queries.gradings_of_village(village), plans=queries.plans_of_village(village), plan=plan,
        rounds=queries.open_rounds_for(g.unit), may_manage=_may(Action.VILLAGES_MANAGE),
        may_override=_may(Action.VILLAGES_GRADE_OVERRIDE), item_rows=range(ITEM_ROWS))


# ---------------------------------------------------------------- gradings


@bp.post("/<int:village_id>/gradings")
@login_required
def start_grading(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    try:
        round_ = load_round(request.form.get("round_id"), Action.VILLAGES_MANAGE, g.unit, current_user, own=False)
        grading = ops.start_grading(village, round_)
    except InvalidInput as exc:
        return _fail(exc, "villages.show", village_id=village_id)
    return redirect(url_for("villages.grading", unit_id=unit_id, grading_id=grading.id))


def _grading_page(grading: VillageGrading, *, errors: dict | None = None, form=None, status: int = 200):
    unit = g.unit
    own = grading.unit_id == unit.id
    return render_template(
        "villages/grading.html", **_labels(), unit=unit, grading=grading, own=own, errors=errors or {},
        form=form, may_score=own and _may(Action.VILLAGES_MANAGE) and grading.state in EDITABLE
        and grading.kind == "round" and grading.round.state == "open",
        may_override=own and _may(Action.VILLAGES_GRADE_OVERRIDE) and grading.state in EDITABLE
        and grading.kind == "round" and grading.round.state == "open",
        may_decide=not own and grading.county_id == unit.id and grading.state == "proposed"
        and _may(Action.GRADING_CONFIRM),
        town=db.session.get(Unit, grading.unit_id)), status


@bp.get("/gradings/<int:grading_id>")
@login_required
def grading(unit_id: int, grading_id: int):
    return _grading_page(load_grading(grading_id, Action.VILLAGES_READ, g.unit, current_user))[0]


@bp.post("/gradings/<int:grading_id>/scores")
@login_required
def score(unit_id: int, grading_id: int):
    grading = load_own_grading(grading_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    raw = {c["key"]: {"score": request.form.get(f"score-{c['key']}", ""), "note": request.form.get(f"note-{c['key']}", "")}
           for c in (grading.round.criteria if grading.round else [])}
    try:
        ops.score(grading, raw, expected_version=request.form.get("version", type=int))
        if request.form.get("submit") == "1":
            ops.submit(grading)
    except InvalidInput as exc:
        db.session.rollback()
        return _grading_page(db.session.get(VillageGrading, grading_id), errors=exc.errors, form=request.form,
                             status=422)
    flash(_("已提交评定") if grading.state != "draft" else _("已保存评分"), "success")
    return redirect(url_for("villages.grading", unit_id=unit_id, grading_id=grading_id))


@bp.post("/gradings/<int:grading_id>/override")
@login_required
def override(unit_id: int, grading_id: int):
    grading = load_own_grading(grading_id, Action.VILLAGES_GRADE_OVERRIDE, g.unit, current_user)
    try:
        ops.override(grading, request.form.get("grade", ""), request.form.get("reason", ""))
    except InvalidInput as exc:
        db.session.rollback()
        return _grading_page(db.session.get(VillageGrading, grading_id), errors=exc.errors, form=request.form,
                             status=422)
    flash(_("已调整评定等次"), "success")
    return redirect(url_for("villages.grading", unit_id=unit_id, grading_id=grading_id))


@bp.post("/gradings/<int:grading_id>/<any(confirm, send_back):decision>")
@login_required
def decide(unit_id: int, grading_id: int, decision: str):
    """The county: confirm the proposed grade (确认), or send it back with a reason (退回)."""
    grading = load_grading(grading_id, Action.GRADING_CONFIRM, g.unit, current_user)
    if grading.county_id != g.unit.id:
        deny(Action.GRADING_CONFIRM, unit=g.unit, object_type="village_gradings", object_id=grading_id)
    try:
        if decision == "confirm":
            ops.confirm(grading, g.unit)
        else:
            ops.send_back(grading, g.unit, request.form.get("reason", ""))
    except InvalidInput as exc:
        return _fail(exc, "villages.grading", grading_id=grading_id)
    flash(_("已确认评定等次") if decision == "confirm" else _("已退回"), "success")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith(f"/u/{unit_id}/")
                    else url_for("villages.grading", unit_id=unit_id, grading_id=grading_id))


@bp.post("/<int:village_id>/regrade")
@login_required
def regrade(unit_id: int, village_id: int):
    """提请重新评定: a C village whose plan is all closed out; the county confirms."""
    village = load_village(village_id, Action.VILLAGES_GRADE_OVERRIDE, g.unit, current_user)
    try:
        ops.propose_regrade(village, request.form.get("grade", ""), request.form.get("reason", ""))
    except InvalidInput as exc:
        return _fail(exc, "villages.show", village_id=village_id)
    flash(_("已提请县纪委重新评定"), "success")
    return redirect(url_for("villages.show", unit_id=unit_id, village_id=village_id))


# ---------------------------------------------------------------- rounds (the county)


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(unit_id: int):
    ensure(current_user, Action.GRADING_ROUNDS_MANAGE, g.unit, target=g.unit)
    errors, form = {}, request.form if request.method == "POST" else {}
    criteria = ops.default_criteria()
    if request.method == "POST":
        criteria = [{"name": request.form.get(f"criteria-{i}-name", ""),
                     "weight": request.form.get(f"criteria-{i}-weight", "")} for i in range(8)]
        raw = {k: request.form.get(k, "") for k in ("name", "period", "threshold_a", "threshold_b")}
        raw["criteria"], raw["needs_confirmation"] = criteria, request.form.get("needs_confirmation") == "1"
        try:
            round_ = ops.open_round(g.unit, raw)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("已开启评定：%(n)s", n=round_.name), "success")
            return redirect(url_for("villages.grading_round", unit_id=unit_id, grading_round_id=round_.id))
    rows = criteria + [{"name": "", "weight": ""}] * (8 - len(criteria))
    return render_template("villages/round_form.html", **_labels(), unit=g.unit, form=form, errors=errors,
                           criteria=rows[:8]), 422 if errors else 200


@bp.get("/rounds/<int:grading_round_id>")
@login_required
def grading_round(unit_id: int, grading_round_id: int):
    round_ = load_round(grading_round_id, Action.VILLAGES_READ, g.unit, current_user)
    gradings = queries.gradings_of_round(round_, g.unit)
    towns = {t.id: t for t in db.session.scalars(select(Unit).where(Unit.parent_id == g.unit.id))}
    return render_template("villages/round.html", **_labels(), unit=g.unit, round_=round_, gradings=gradings,
                           summary=queries.round_summary(gradings),
                           towns=towns, may_confirm=_may(Action.GRADING_CONFIRM),
                           may_manage=_may(Action.GRADING_ROUNDS_MANAGE))


@bp.post("/rounds/<int:grading_round_id>/close")
@login_required
def close_round(unit_id: int, grading_round_id: int):
    round_ = load_round(grading_round_id, Action.GRADING_ROUNDS_MANAGE, g.unit, current_user)
    try:
        ops.close_round(round_)
    except InvalidInput as exc:
        return _fail(exc, "villages.grading_round", grading_round_id=grading_round_id)
    flash(_("已结束评定"), "success")
    return redirect(url_for("villages.grading_round", unit_id=unit_id, grading_round_id=grading_round_id))


# ---------------------------------------------------------------- the plan (一村一方案)


def _items_from_form(form, rows: int) -> list[dict]:
    return [{k: form.get(f"items-{i}-{k}", "") for k in ("problem", "measure", "responsible", "responsible_position",
                                                          "deadline")} for i in range(rows)]


@bp.post("/<int:village_id>/plan")
@login_required
def create_plan(unit_id: int, village_id: int):
    village = load_village(village_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    raw = {k: request.form.get(k, "") for k in ("party_secretary", "discipline_secretary", "requirements",
                                                 "issued_on")}
    raw["items"] = _items_from_form(request.form, ITEM_ROWS)
    try:
        plan = ops.create_plan(village, raw)
    except InvalidInput as exc:
        return _fail(exc, "villages.show", village_id=village_id)
    flash(_("已制定一村一方案：%(n)s", n=plan.number), "success")
    return redirect(url_for("villages.plan", unit_id=unit_id, village_plan_id=plan.id))


def _plan_page(plan, *, errors: dict | None = None, failed: str = "", status: int = 200):
    return render_template(
        "villages/plan.html", **_labels(), unit=g.unit, plan=plan, village=plan.village,
        reports=queries.reports_of(plan), missed=ops.missed_months(plan, calendar.today()),
        may_manage=_may(Action.VILLAGES_MANAGE) and plan.state != "lifted", errors=errors or {}, failed=failed,
        form=request.form if errors else {}), status


@bp.get("/plans/<int:village_plan_id>")
@login_required
def plan(unit_id: int, village_plan_id: int):
    return _plan_page(load_plan(village_plan_id, Action.VILLAGES_READ, g.unit, current_user))[0]


@bp.post("/plans/<int:village_plan_id>/items")
@login_required
def add_item(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    try:
        ops.add_item(plan, _items_from_form(request.form, 1)[0])
    except InvalidInput as exc:
        db.session.rollback()
        return _plan_page(load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user),
                          errors=exc.errors, failed="add", status=422)
    flash(_("已增加问题"), "success")
    return redirect(url_for("villages.plan", unit_id=unit_id, village_plan_id=village_plan_id))


@bp.post("/plans/<int:village_plan_id>/items/<int:plan_item_id>/close")
@login_required
def close_item(unit_id: int, village_plan_id: int, plan_item_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    item = load_item(plan, plan_item_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    try:
        ops.close_item(item, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _plan_page(load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user),
                          errors=exc.errors, failed=f"close-{plan_item_id}", status=422)
    flash(_("已销号：第%(n)s项", n=item.seq), "success")
    return redirect(url_for("villages.plan", unit_id=unit_id, village_plan_id=village_plan_id))


@bp.post("/plans/<int:village_plan_id>/items/<int:plan_item_id>")
@login_required
def update_item(unit_id: int, village_plan_id: int, plan_item_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    item = load_item(plan, plan_item_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    try:
        ops.update_item(item, request.form.to_dict(), expected_version=request.form.get("version", type=int))
    except InvalidInput as exc:
        db.session.rollback()
        return _plan_page(load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user),
                          errors=exc.errors, failed=f"edit-{plan_item_id}", status=422)
    flash(_("已修改：第%(n)s项", n=item.seq), "success")
    return redirect(url_for("villages.plan", unit_id=unit_id, village_plan_id=village_plan_id))


@bp.post("/plans/<int:village_plan_id>/reports")
@login_required
def log_report(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user)
    try:
        ops.log_report(plan, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _plan_page(load_plan(village_plan_id, Action.VILLAGES_MANAGE, g.unit, current_user),
                          errors=exc.errors, failed="report", status=422)
    flash(_("已记录月度汇报"), "success")
    return redirect(url_for("villages.plan", unit_id=unit_id, village_plan_id=village_plan_id))


@bp.get("/plans/<int:village_plan_id>/order.docx")
@login_required
def order(unit_id: int, village_plan_id: int):
    """重点问题督改单 in the official Word layout."""
    plan = load_plan(village_plan_id, Action.VILLAGES_READ, g.unit, current_user)
    return docx_response(documents.rectification_order(plan), f"{plan.number}.docx")


@bp.get("/plans/<int:village_plan_id>/order.pdf")
@login_required
def order_pdf(unit_id: int, village_plan_id: int):
    plan = load_plan(village_plan_id, Action.VILLAGES_READ, g.unit, current_user)
    return pdf_download(g.unit, documents.KIND, plan.id, documents.rectification_order(plan), f"{plan.number}.pdf",
                        Action.VILLAGES_READ)


@register_link("village_plans")
def _plan_link(item, unit_id: int) -> str:
    return url_for("villages.plan", unit_id=unit_id, village_plan_id=item.object_id)


@register_link("village_gradings")
def _grading_link(item, unit_id: int) -> str:
    return url_for("villages.grading", unit_id=unit_id, grading_id=item.object_id)
