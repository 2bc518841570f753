"""HTML pages of the zeroing campaign (/u/<unit>/zeroing): the unit's backlog ledger 积案台账,
each case's owner, plan, visits, close-out and re-check, the generated weekly return and the
monthly bulletins. A unit sees its own cases and its subtree's figures, never a lower unit's case."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import calendar
from core.directives import operations as directive_ops
from core.directives.models import Directive
from core.documents import text_workbook, workbook_response
from core.errors import InvalidInput
from core.schemas import selected_ids
from core.extensions import db
from core.petitions.models import FLAG_LABELS, Flag
from core.workflow import history
from core.zeroing import operations as ops
from core.zeroing import queries
from core.zeroing.models import CASE_STATES, CLOSEOUT_BASES, PHASES, RECHECK_RESULTS, VISIT_KINDS, BacklogCase
from core.zeroing.queries import load_bulletin, load_campaign, load_case
from core.zeroing.workflow import BACKLOG_FLOW, STEP_ACTIONS
from tenants.access import Action, can, ensure

bp = Blueprint("zeroing", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/zeroing")


@bp.get("")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ZEROING_READ, unit, target=unit)
    return render_template("zeroing/index.html", unit=unit, campaigns=ops.zeroing_campaigns(unit),
                           may_start=can(current_user, Action.ZEROING_START, unit, target=unit))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def start(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.ZEROING_START, unit, target=unit)
    today = calendar.today()
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        phases = [{"name": str(name), "starts_on": _form_date(f"phase{i}_start", errors),
                   "ends_on": _form_date(f"phase{i}_end", errors)} for i, name in enumerate(PHASES)]
        if not errors:
            try:
                campaign = ops.start_campaign(unit, title=form.get("title", ""), body=form.get("body", ""),
                                              phases=phases, account_id=current_user.id)
            except InvalidInput as exc:
                errors = exc.errors
            else:
                flash(_("已部署：%(t)s", t=campaign.title), "success")
                return redirect(url_for("zeroing.ledger", unit_id=unit.id, campaign_id=campaign.id))
    else:
        # A sensible default calendar: four phases of one, one, three and one month from today.
        bounds, start_on = [], today
        for months in (1, 1, 3, 1):
            end_on = start_on + timedelta(days=30 * months)
            bounds.append((start_on, end_on))
            start_on = end_on + timedelta(days=1)
        form = {"title": _("%(y)s年信访积案动态清零专项行动", y=today.year)}
        for i, (s, e) in enumerate(bounds):
            form[f"phase{i}_start"], form[f"phase{i}_end"] = s.isoformat(), e.isoformat()
    return render_template("zeroing/start.html", unit=unit, form=form, errors=errors, phases=PHASES), \
        422 if errors else 200


def _form_date(key: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat(request.form.get(key, ""))
    except ValueError:
        errors.setdefault(key, []).append(_("请填写有效日期"))
        return None


@bp.get("/<int:campaign_id>")
@login_required
def ledger(unit_id: int, campaign_id: int):
    campaign = load_campaign(campaign_id)
    return _ledger_page(campaign)


def _ledger_page(campaign: Directive, *, errors: dict | None = None, status: int = 200):
    unit, today = g.unit, calendar.today()
    f = queries.LedgerFilter.from_args(request.args)
    cases = db.session.scalars(queries.ledger_query(campaign, unit, f, today)).all()
    week_start = today - timedelta(days=today.weekday())
    period = directive_ops.current_period(campaign, today)
    owes = directive_ops.owes_returns(campaign, unit) and campaign.unit_id != unit.id
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return render_template(
        "zeroing/ledger.html", unit=unit, campaign=campaign, cases=cases, f=f, today=today, errors=errors or {},
        phase=queries.current_phase_name(campaign, today), states=CASE_STATES, FLAG_LABELS=FLAG_LABELS, Flag=Flag,
        week=ops.figures(campaign.id, unit, week_start, today),
        children=ops.child_figures(campaign.id, unit, week_start, today),
        period=period if owes else None, draft=ops.weekly_draft(campaign, unit, period) if owes and period else None,
        may_return=owes and can(current_user, Action.DIRECTIVES_RECEIVE, unit),
        bulletins=queries.bulletins(campaign, unit), last_month=month, closeout_bases=CLOSEOUT_BASES,
        may_handle=can(current_user, Action.ZEROING_HANDLE, unit),
        may_recheck=can(current_user, Action.ZEROING_RECHECK, unit)), status


@bp.post("/<int:campaign_id>/cases")
@login_required
def add(unit_id: int, campaign_id: int):
    campaign = load_campaign(campaign_id, Action.ZEROING_HANDLE)
    try:
        case = ops.add_case(campaign, g.unit, request.form.get("petition_number", ""))
    except InvalidInput as exc:
        db.session.rollback()
        return _ledger_page(campaign, errors=exc.errors, status=422)
    flash(_("已列入台账，请确定包案领导、工作专班、化解方案和时限"), "success")
    return redirect(url_for("zeroing.case", unit_id=unit_id, campaign_id=campaign.id, backlog_case_id=case.id))


@bp.post("/<int:campaign_id>/close-out")
@login_required
def bulk_close_out(unit_id: int, campaign_id: int):
    """一周一销号 of the cases selected on the ledger: each by its own rules, a failing row listed with the reason."""
    campaign = load_campaign(campaign_id, Action.ZEROING_HANDLE)
    back = url_for("zeroing.ledger", unit_id=unit_id, campaign_id=campaign.id)
    try:
        ids = selected_ids(request.form.getlist("ids"))
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(back, 303)
    if not ids:
        flash(_("请先勾选要销号的积案"), "error")
        return redirect(back, 303)
    results = ops.bulk_close_out(queries.cases_by_id(campaign, g.unit, ids), request.form.to_dict())
    done = [r for r in results if r.ok]
    if done:
        flash(_("已销号 %(n)s 件", n=len(done)), "success")
    for row in results:
        if not row.ok:
            flash(_("%(r)s 未销号：%(why)s", r=row.title, why=row.error), "error")
    return redirect(back)


@bp.post("/<int:campaign_id>/sample")
@login_required
def sample(unit_id: int, campaign_id: int):
    campaign = load_campaign(campaign_id, Action.ZEROING_RECHECK)
    try:
        drawn = ops.sample_rechecks(campaign, g.unit, request.form.get("percent", type=int) or 0)
    except InvalidInput as exc:
        db.session.rollback()
        return _ledger_page(campaign, errors=exc.errors, status=422)
    flash(_("已抽取 %(n)s 件开展回头看", n=drawn), "success")
    return redirect(url_for("zeroing.ledger", unit_id=unit_id, campaign_id=campaign.id, sampled=1))


@bp.post("/<int:campaign_id>/returns")
@login_required
def submit_return(unit_id: int, campaign_id: int):
    campaign = load_campaign(campaign_id, Action.DIRECTIVES_RECEIVE)
    try:
        ops.submit_weekly_return(campaign, g.unit, request.form.get("period", ""), request.form.get("narrative", ""))
    except InvalidInput as exc:
        db.session.rollback()
        return _ledger_page(campaign, errors=exc.errors, status=422)
    flash(_("本周报表已按台账生成并报送"), "success")
    return redirect(url_for("zeroing.ledger", unit_id=unit_id, campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/bulletins")
@login_required
def build_bulletin(unit_id: int, campaign_id: int):
    campaign = load_campaign(campaign_id, Action.ZEROING_RECHECK)
    try:
        bulletin = ops.build_bulletin(campaign, g.unit, request.form.get("month", ""))
    except InvalidInput as exc:
        db.session.rollback()
        return _ledger_page(campaign, errors=exc.errors, status=422)
    return redirect(url_for("zeroing.bulletin", unit_id=unit_id, campaign_id=campaign.id, bulletin_id=bulletin.id))


@bp.get("/<int:campaign_id>/bulletins/<int:bulletin_id>")
@login_required
def bulletin(unit_id: int, campaign_id: int, bulletin_id: int):
    campaign = load_campaign(campaign_id)
    item = load_bulletin(campaign, bulletin_id)
    if request.args.get("format") == "xlsx":
        workbook = text_workbook()
        sheet = workbook.create_sheet(_("通报"))
        sheet.append([_("排名"), _("单位"), _("积案存量"), _("本月新增"), _("本月销号"), _("回头看重新化解"),
                      _("逾期未化解"), _("销号率（%）")])
        for c in item.figures["children"]:
            sheet.append([c["rank"], c["name"], c["stock"], c["added"], c["closed_out"], c["reopened"], c["overdue"],
                          c["rate"]])
        t = item.figures["totals"]
        sheet.append(["", _("合计"), t["stock"], t["added"], t["closed_out"], t["reopened"], t["overdue"], t["rate"]])
        return workbook_response(workbook, f"{g.unit.name}{item.period}积案化解通报.xlsx")
    return render_template("zeroing/bulletin.html", unit=g.unit, campaign=campaign, bulletin=item)


@bp.get("/<int:campaign_id>/ledger.xlsx")
@login_required
def ledger_xlsx(unit_id: int, campaign_id: int):
    """积案台账: an older link, now the export of the ledger (counted, audited, a job when long)."""
    load_campaign(campaign_id)  # another unit's campaign: 404 here, as on every campaign URL
    return redirect(url_for("exports.confirm", unit_id=unit_id, kind="zeroing",
                            **(request.args.to_dict() | {"campaign_id": campaign_id})))


@bp.get("/<int:campaign_id>/cases/<int:backlog_case_id>")
@login_required
def case(unit_id: int, campaign_id: int, backlog_case_id: int):
    campaign = load_campaign(campaign_id)
    return _case_page(campaign, load_case(campaign, backlog_case_id))


def _case_page(campaign: Directive, item: BacklogCase, *, errors: dict | None = None, form=None,
               failed: str = "", status: int = 200):
    unit = g.unit
    return render_template(
        "zeroing/case.html", unit=unit, campaign=campaign, case=item, petition=item.petition, today=calendar.today(),
        errors=errors or {}, form=form or {}, failed=failed, history=history("backlog_cases", item.id),
        VISIT_KINDS=VISIT_KINDS, CLOSEOUT_BASES=CLOSEOUT_BASES, RECHECK_RESULTS=RECHECK_RESULTS, flow=BACKLOG_FLOW,
        may_handle=can(current_user, Action.ZEROING_HANDLE, unit),
        may_recheck=can(current_user, Action.ZEROING_RECHECK, unit)), status


@bp.post("/<int:campaign_id>/cases/<int:backlog_case_id>/<any(adopt, decline, plan, visit, close_out, recheck):step>")
@login_required
def case_step(unit_id: int, campaign_id: int, backlog_case_id: int, step: str):
    campaign = load_campaign(campaign_id)
    item = load_case(campaign, backlog_case_id, STEP_ACTIONS[step])
    data, version = request.form.to_dict(), request.form.get("version", type=int)
    try:
        ops.take_step(item, step, data, expected_version=version)
    except InvalidInput as exc:
        db.session.rollback()
        return _case_page(campaign, db.session.get(BacklogCase, backlog_case_id), errors=exc.errors, form=request.form,
                          failed=step, status=422)
    flash(_("已保存"), "success")
    return redirect(url_for("zeroing.case", unit_id=unit_id, campaign_id=campaign.id, backlog_case_id=backlog_case_id))
