"""HTML pages of the ledgers (18项台账): /u/<unit>/ledgers — a township's ledgers with their state, a county's
completeness by township and its spot checks, a province's or city's share of complete townships and its
catalogue; /u/<unit>/ledgers/<code> — a ledger's rows (a kept one's form and xlsx import with a dry run); the
workbook of all ledgers (a job with its progress bar); a spot check with its drawn rows and findings."""
from __future__ import annotations

import io
from datetime import timedelta

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from core.inbox.links import register_link
from core.ledgers import operations as ops
from core.ledgers import queries
from core.ledgers.models import LedgerRow, SpotFinding
from core.ledgers.registry import SOURCES
from core.ledgers.workflow import COLUMN_TYPES, PERIODS, RESULTS, VERDICTS, month_bounds
from tenants.access import Action, can, deny, ensure
from tenants.models import UnitLevel
from tenants.scoping import load_scoped

bp = Blueprint("ledgers", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/ledgers")
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_ROWS = 200


@register_link("ledger_spot_checks")
def _check_link(item, unit_id: int) -> str:
    return url_for("ledgers.check", unit_id=unit_id, spot_check_id=item.object_id)


def _may(action: Action) -> bool:
    return can(current_user, action, g.unit, target=g.unit)


def _index_page(*, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    unit, today = g.unit, calendar.today()
    ensure(current_user, Action.LEDGERS_READ, unit, target=unit)
    common = dict(unit=unit, today=today, errors=errors or {}, form=form or {}, failed=failed, periods=PERIODS,
                  column_types=COLUMN_TYPES, may_checks=_may(Action.SPOT_CHECKS_READ))
    if unit.level == UnitLevel.TOWNSHIP:
        states = queries.ledger_states(unit, today)
        return render_template(
            "ledgers/township.html", states=states, summary=queries.summarise(states),
            may_rows=_may(Action.LEDGER_ROWS_READ),
            readable={s.code for s in states if queries.readable(s.definition, current_user, unit)},
            checks=queries.checks_of(unit) if common["may_checks"] else [], **common), status
    if unit.level == UnitLevel.COUNTY:
        overview = queries.county_overview(unit, today)
        may_draw = _may(Action.SPOT_CHECKS_DRAW)
        kept = queries.catalogue_of(overview[0][0]) if overview else []
        return render_template(
            "ledgers/county.html", overview=overview, may_draw=may_draw,
            kept=[d for d in kept if d.kind == "kept"], staff=queries.staff_of(unit) if may_draw else [],
            checks=queries.checks_of(unit) if common["may_checks"] else [], month=month_bounds(today), **common), status
    towns = queries.townships_below(unit)
    by_town = queries.completeness_by_unit(towns, today)
    children: dict[int, dict] = {}
    for town in towns:
        child_id = int(town.path[len(unit.path):].split(".")[0])
        line = children.setdefault(child_id, {"towns": 0, "complete": 0})
        line["towns"] += 1
        s = by_town.get(town.id, {})
        line["complete"] += int(bool(s.get("total")) and s.get("current") == s.get("total"))
    from tenants.models import Unit

    names = {u.id: u for u in db.session.scalars(db.select(Unit).where(Unit.id.in_(list(children) or [0])))}
    lines = [(names[c], v) for c, v in sorted(children.items(), key=lambda kv: names[kv[0]].code)]
    return render_template("ledgers/upper.html", lines=lines, catalogue=queries.catalogue_of(unit),
                           may_define=_may(Action.LEDGERS_DEFINE), **common), status


@bp.get("")
@login_required
def index(unit_id: int):
    return _index_page()


@bp.post("/catalogue")
@login_required
def catalogue(unit_id: int):
    ensure(current_user, Action.LEDGERS_DEFINE, g.unit, target=g.unit)
    try:
        if request.form.get("archive"):
            ops.archive_definition(g.unit, request.form.get("archive", ""))
        else:
            labels, types = request.form.getlist("column_label"), request.form.getlist("column_type")
            choices, required = request.form.getlist("column_choices"), request.form.getlist("column_required")
            columns = [{"label": label, "type": types[i] if i < len(types) else "text",
                        "choices": choices[i] if i < len(choices) else "", "required": str(i) in required}
                       for i, label in enumerate(labels)]
            ops.define_ledger(g.unit, {"title": request.form.get("title"), "period": request.form.get("period"),
                                       "columns": columns})
    except InvalidInput as exc:
        db.session.rollback()
        return _index_page(errors=exc.errors, form=request.form, failed="catalogue", status=422)
    flash(_("台账目录已更新"), "success")
    return redirect(url_for("ledgers.index", unit_id=unit_id))


# ---------------------------------------------------------------- one ledger


def _ledger_page(definition, *, errors: dict | None = None, form=None, failed: str = "", preview=None,
                 status: int = 200):
    unit = g.unit
    if not queries.readable(definition, current_user, unit):
        deny(Action.LEDGER_ROWS_READ, unit=unit, object_type="ledger_definitions", object_id=definition.code)
    header = queries.header_of(definition)
    # A kept ledger's rows of one period (?period=2026-11 or 2026), as its export (ledger_kept) lists them.
    period = str(request.args.get("period") or "").strip()[:7] if definition.kind == "kept" else ""
    try:
        start, end = queries.period_bounds(period)
    except ValueError:
        raise InvalidInput({"period": [_("期间应为年月（如 2026-11）或年份（如 2026）")]}) from None
    rows = []
    for i, row in enumerate(queries.rows_of(unit, definition, start=start, end=end)):
        if i >= PAGE_ROWS:
            break
        rows.append(row)
    state = next((s for s in queries.ledger_states(unit) if s.code == definition.code), None)
    checks = [c for c in queries.checks_of(unit) if c.code == definition.code] if _may(Action.SPOT_CHECKS_READ) else []
    return render_template("ledgers/ledger.html", unit=unit, d=definition, header=header, rows=rows, state=state,
                           period=period, total=queries.count_of(unit, definition, start=start, end=end),
                           page_rows=PAGE_ROWS,
                           may_keep=_may(Action.LEDGERS_KEEP) and definition.kind == "kept",
                           source=SOURCES.get(definition.source or ""), checks=checks, errors=errors or {},
                           form=form or {}, failed=failed, preview=preview, today=calendar.today()), status


@bp.get("/<code>")
@login_required
def ledger(unit_id: int, code: str):
    return _ledger_page(queries.load_definition(g.unit, code, current_user))


@bp.post("/<code>/rows")
@login_required
def add_row(unit_id: int, code: str):
    definition = queries.load_definition(g.unit, code, current_user, Action.LEDGERS_KEEP)
    try:
        ops.add_row(g.unit, definition, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _ledger_page(definition, errors=exc.errors, form=request.form, failed="row", status=422)
    flash(_("已登记"), "success")
    return redirect(url_for("ledgers.ledger", unit_id=unit_id, code=code))


@bp.post("/<code>/import")
@login_required
def import_rows(unit_id: int, code: str):
    definition = queries.load_definition(g.unit, code, current_user, Action.LEDGERS_KEEP)
    upload = request.files.get("file")
    dry_run = request.form.get("dry_run") == "1"
    try:
        result = ops.import_rows(g.unit, definition, upload.read() if upload else b"", dry_run=dry_run)
    except InvalidInput as exc:
        db.session.rollback()
        return _ledger_page(definition, errors=exc.errors, failed="import", status=422)
    if dry_run or result["refused"]:
        db.session.rollback()
        return _ledger_page(definition, preview=result, failed="import")
    flash(_("已导入 %(n)s 条", n=result["created"]), "success")
    return redirect(url_for("ledgers.ledger", unit_id=unit_id, code=code))


# ---------------------------------------------------------------- the workbook (a job)


@bp.post("/workbooks")
@login_required
def new_workbook(unit_id: int):
    ensure(current_user, Action.LEDGER_ROWS_READ, g.unit, target=g.unit)
    try:
        workbook = ops.request_workbook(g.unit, current_user, request.form.getlist("code") or None)
    except InvalidInput as exc:
        db.session.rollback()
        return _index_page(errors=exc.errors, failed="workbook", status=422)
    return redirect(url_for("ledgers.workbook", unit_id=unit_id, workbook_id=workbook.id))


@bp.get("/workbooks/<int:workbook_id>")
@login_required
def workbook(unit_id: int, workbook_id: int):
    book = queries.load_workbook(workbook_id, g.unit, current_user)
    titles = {d.code: d.title for d in queries.catalogue_of(g.unit)}
    return render_template("ledgers/workbook.html", unit=g.unit, book=book,
                           titles=[titles.get(c, "") for c in book.codes])


@bp.get("/workbooks/<int:workbook_id>/status")
@login_required
def workbook_status(unit_id: int, workbook_id: int):
    book = queries.load_workbook(workbook_id, g.unit, current_user)
    return jsonify(state=book.state, state_label=book.state_label, running=book.running, percent=book.percent,
                   processed_rows=book.processed_rows, total_rows=book.total_rows)


@bp.get("/workbooks/<int:workbook_id>/download")
@login_required
def workbook_download(unit_id: int, workbook_id: int):
    book = queries.load_workbook(workbook_id, g.unit, current_user)
    if book.state != "done":
        flash(_("文件尚未生成，请稍候"), "error")
        return redirect(url_for("ledgers.workbook", unit_id=unit_id, workbook_id=workbook_id))
    return send_file(io.BytesIO(ops.workbook_content(book)), mimetype=MIME, as_attachment=True,
                     download_name=book.filename)


# ---------------------------------------------------------------- spot checks


@bp.post("/spot-checks")
@login_required
def draw(unit_id: int):
    ensure(current_user, Action.SPOT_CHECKS_DRAW, g.unit, target=g.unit)
    try:
        check = ops.draw_check(g.unit, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _index_page(errors=exc.errors, form=request.form, failed="draw", status=422)
    flash(_("已抽取 %(n)s 条，抽查期间内抽查人可以查阅", n=len(check.row_ids)), "success")
    return redirect(url_for("ledgers.check", unit_id=unit_id, spot_check_id=check.id))


def _check_page(check, *, errors: dict | None = None, form=None, failed: str = "", status: int = 200):
    unit, today = g.unit, calendar.today()
    rows = queries.drawn_rows(check)
    definition = queries.definition_of(unit if unit.level == UnitLevel.TOWNSHIP else
                                       db.session.get(type(unit), check.township_id), check.code)
    findings = {f.row_id: f for f in check.findings}
    may_record = (check.checker_id == current_user.id and check.state == "open" and check.active_on(today)
                  and _may(Action.SPOT_CHECKS_DRAW))
    return render_template("ledgers/check.html", unit=unit, check=check, rows=rows, d=definition,
                           header=queries.kept_header(definition) if definition else [],
                           values={i: queries.row_values(definition, r) for i, r in rows.items()} if definition else {},
                           findings=findings, may_record=may_record, verdicts=VERDICTS, results=RESULTS,
                           may_rectify=_may(Action.SUPERVISION_ISSUE) and unit.id == check.unit_id,
                           errors=errors or {}, form=form or {}, failed=failed, today=today,
                           due_default=(today + timedelta(days=15)).isoformat()), status


@bp.get("/spot-checks/<int:spot_check_id>")
@login_required
def check(unit_id: int, spot_check_id: int):
    return _check_page(queries.load_check(spot_check_id, g.unit, current_user))


@bp.get("/spot-checks/<int:spot_check_id>/rows/<int:ledger_row_id>")
@login_required
def check_row(unit_id: int, spot_check_id: int, ledger_row_id: int):
    """One drawn row, as the checker reads it through the check's share (404 once the check has ended)."""
    row_id = ledger_row_id
    check_ = queries.load_check(spot_check_id, g.unit, current_user)
    if row_id not in check_.row_ids:
        deny(Action.SPOT_CHECKS_READ, unit=g.unit, object_type="ledger_rows", object_id=row_id)
    row = load_scoped(LedgerRow, row_id, unit=g.unit, account=current_user, action=Action.SPOT_CHECKS_READ)
    town = g.unit if g.unit.level == UnitLevel.TOWNSHIP else db.session.get(type(g.unit), check_.township_id)
    definition = queries.definition_of(town, check_.code)
    finding = next((f for f in check_.findings if f.row_id == row_id), None)
    return render_template("ledgers/check_row.html", unit=g.unit, check=check_, row=row, d=definition,
                           pairs=list(zip(queries.kept_header(definition), queries.row_values(definition, row))),
                           finding=finding)


@bp.post("/spot-checks/<int:spot_check_id>/findings")
@login_required
def finding(unit_id: int, spot_check_id: int):
    check_ = queries.load_check(spot_check_id, g.unit, current_user, Action.SPOT_CHECKS_DRAW)
    try:
        ops.record_finding(check_, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _check_page(queries.load_check(spot_check_id, g.unit, current_user), errors=exc.errors, form=request.form,
                           failed="finding", status=422)
    flash(_("已记录抽查结果"), "success")
    return redirect(url_for("ledgers.check", unit_id=unit_id, spot_check_id=spot_check_id))


@bp.post("/spot-checks/<int:spot_check_id>/rectify")
@login_required
def rectify(unit_id: int, spot_check_id: int):
    check_ = queries.load_check(spot_check_id, g.unit, current_user, Action.SUPERVISION_ISSUE)
    if check_.unit_id != g.unit.id:
        deny(Action.SUPERVISION_ISSUE, unit=g.unit, object_type="ledger_spot_checks", object_id=spot_check_id)
    row_id = request.form.get("row_id", type=int)
    found = db.session.scalar(db.select(SpotFinding).where(SpotFinding.check_id == check_.id,
                                                           SpotFinding.row_id == (row_id or 0)))
    try:
        if found is None:
            raise InvalidInput({"row_id": [_("请选择不合格的条目")]})
        ops.issue_rectification(found, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _check_page(queries.load_check(spot_check_id, g.unit, current_user), errors=exc.errors, form=request.form,
                           failed="rectify", status=422)
    flash(_("已下发整改交办单"), "success")
    return redirect(url_for("ledgers.check", unit_id=unit_id, spot_check_id=spot_check_id))


@bp.post("/spot-checks/<int:spot_check_id>/conclude")
@login_required
def conclude(unit_id: int, spot_check_id: int):
    check_ = queries.load_check(spot_check_id, g.unit, current_user, Action.SPOT_CHECKS_DRAW)
    try:
        ops.conclude(check_, request.form.to_dict())
    except InvalidInput as exc:
        db.session.rollback()
        return _check_page(queries.load_check(spot_check_id, g.unit, current_user), errors=exc.errors, form=request.form,
                           failed="conclude", status=422)
    flash(_("已出具抽查结论"), "success")
    return redirect(url_for("ledgers.check", unit_id=unit_id, spot_check_id=spot_check_id))
