"""Dashboard pages: /u/<unit>/reporting (the acting unit) and /u/<unit>/reporting/units/<target> (a unit
below it, drilled down to level by level). Leaders and analysts read their subtree and drill down;
other roles see their own unit's figures only. Every chart has its table beside it; the page prints."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import calendar
from core.errors import InvalidInput
from core.extensions import db
from reporting import rollups
from reporting.bulletins.operations import latest_published
from reporting.dashboards import panels
from reporting.figures import AREAS, FIGURES
from reporting.periods import parse_period
from tenants.access import Action, can, deny, ensure
from tenants.models import Unit

# No url_prefix: the prefix names the unit, and the blueprint's script must not (one URL for everyone).
bp = Blueprint("dashboards", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/dashboards")
PREFIX = "/u/<int:unit_id>/reporting"
PERIOD_CHOICES = (("week", _l("本周")), ("month", _l("本月")), ("quarter", _l("本季度")), ("year", _l("本年")))


@bp.get(PREFIX)
@login_required
def index(unit_id: int):
    ensure(current_user, Action.ROLLUPS_READ, g.unit, target=g.unit)
    return _dashboard(g.unit)


@bp.get(f"{PREFIX}/units/<int:target_id>")
@login_required
def unit(unit_id: int, target_id: int):
    target = db.session.get(Unit, target_id)
    if target is None:
        deny(Action.ROLLUPS_READ, unit=g.unit, object_type="unit", object_id=target_id)
    ensure(current_user, Action.ROLLUPS_READ, g.unit, target=target)
    return _dashboard(target)


def _period_from_args(errors: list[str]):
    """The period asked for: ?period= (as the API takes it) or a custom range ?since=&until=; bad input
    is said on the page and this month shown instead."""
    text = request.args.get("period")
    since, until = request.args.get("since", "").strip(), request.args.get("until", "").strip()
    if since or until:
        if since and until:
            text = f"{since}..{until}"
        else:
            errors.append(_("自定义区间请同时填写开始日期和结束日期"))
    try:
        return parse_period(text)
    except InvalidInput as exc:
        errors.extend(exc.messages)
        errors.append(_("以下显示本月数据。"))
        return parse_period("month")


def _rank_from_args(errors: list[str]) -> str:
    rank_by = request.args.get("rank_by") or panels.DEFAULT_RANK
    if rank_by not in FIGURES:
        errors.append(_("未知指标：%(k)s，已按默认指标排名", k=rank_by[:40]))
        return panels.DEFAULT_RANK
    return rank_by


def _dashboard(target: Unit):
    acting, today, errors = g.unit, calendar.today(), []
    period = _period_from_args(errors)
    rank_by = _rank_from_args(errors)
    campaign_id = rollups.current_campaign_id(target)

    def here(**changes) -> str:
        """This page with other parameters (the period kept unless changed)."""
        args = {"period": period.key, "rank_by": rank_by} | changes
        if target.id == acting.id:
            return url_for("dashboards.index", unit_id=acting.id, **args)
        return url_for("dashboards.unit", unit_id=acting.id, target_id=target.id, **args)

    kids = rollups.children_of(target)
    # Leaders and analysts drill down; other roles read their own unit only (no figure of a child).
    may_drill = bool(kids) and can(current_user, Action.ROLLUPS_BREAKDOWN, acting, target)
    drill_links = {kid.id: url_for("dashboards.unit", unit_id=acting.id, target_id=kid.id, period=period.key,
                                   rank_by=rank_by) for kid in kids} if may_drill else {}
    head = panels.headline(target, period, campaign_id, today)
    trend = panels.trend(target, campaign_id, today)
    lines = panels.children(target, period, campaign_id, today, rank_by) if may_drill else None
    ranking = rollups.ranked(lines, rank_by) if lines else None
    camp = panels.campaign(target, campaign_id, today)
    # The latest bulletins (通报) of the unit, published to it and its parent: for those who read its children.
    bulletins = [b for b in (latest_published(target, kind) for kind in ("weekly", "monthly")) if b] \
        if may_drill and acting.id in (target.id, target.parent_id) else []
    chosen = next((kind for kind, _label in PERIOD_CHOICES if parse_period(kind, today) == period), None)
    # Villages' grades, plans and on-site meetings by child (by township at a county): for those who read children.
    village_panel = panels.villages(target, period, today) if may_drill else None
    rank_area = FIGURES[rank_by].area
    columns = panels.area_keys(rank_area)
    if rank_by not in columns:
        columns.append(rank_by)
    return render_template(
        "dashboards/show.html", acting=acting, target=target, trail=panels.trail(acting, target), today=today,
        errors=errors, period=period, period_choices=PERIOD_CHOICES, chosen=chosen, previous=period.previous(),
        here=here, may_drill=may_drill, has_children=bool(kids), drill_links=drill_links, bulletins=bulletins,
        head=head, trend=trend, lines=lines, ranking=ranking, rank_by=rank_by, rank_area=rank_area, columns=columns,
        camp=camp, vill=village_panel, village_charts=panels.village_chart_data(village_panel, drill_links),
        GRADES=panels.GRADES, grade_name=panels.grade_name, count_label=panels.count_label, areas=AREAS, FIGURES=FIGURES, panels=panels, display=panels.display, label=panels.label,
        line_name=panels.line_name,
        charts=panels.chart_data(head=head, trend_panel=trend, lines=lines, ranking=ranking, rank_by=rank_by,
                                 drill_links=drill_links, camp=camp),
    ), 422 if errors else 200
