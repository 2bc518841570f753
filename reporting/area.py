"""The reporting floor's declaration for the app factory (core/areas.py): above every casework area.

Numbers only: roll-ups, bulletins, indicators, dashboards, exports and the federation with an upstream
deployment. It fills one registry of a casework area: the zones' pages show their figures from here."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core import calendar
from core.areas import Area
from core.ledgers.registry import register as register_ledger_source
from core.guidance.queries import GUIDANCE_FIGURES
from core.zones.queries import ZONE_FIGURES
from reporting import api, jobs, reconcile, zones
from reporting.bulletins import api as bulletins_api
from reporting.bulletins import demo as bulletins_demo
from reporting.bulletins import jobs as bulletin_jobs
from reporting.bulletins.views import bp as bulletins_bp
from reporting.cli import register_reporting_cli
from reporting.dashboards.views import bp as dashboards_bp
from reporting.exports import api as exports_api
from reporting.exports import jobs as export_jobs
from reporting.exports.registry import EXPORTERS, ledger_dates
from reporting.exports.views import bp as exports_bp
from reporting.federation import jobs as federation_jobs
from reporting.federation import views as federation_views
from reporting.federation.api import federation_api
from reporting.federation.cli import register_federation_cli
from reporting.indicators import demo as indicators_demo
from reporting.figures import FIGURES
from reporting.indicators.views import bp as indicators_bp
from reporting.periods import month_of, parse_period
from reporting.rollups import children_rollup, rollup
from tenants.access import Action
from tenants.workbench import FIGURE_READERS, Panel, Row


def install(_app: Flask) -> None:
    ZONE_FIGURES.register("zone_figures", zones.zone_figures)  # per zone, the sum over its members
    # 18项台账: each generated ledger is an exporter, dated by one column (one definition, shared with the exports).
    for kind, column in ledger_dates().items():
        if kind in EXPORTERS:
            register_ledger_source(EXPORTERS[kind], column)
    GUIDANCE_FIGURES.register("township_figures", township_figures)  # an office's townships, numbers only


# 联系指导: the headline figures an office's page shows for each township it guides (one roll-up statement).
GUIDANCE_KEYS = ["petitions.received", "petitions.overdue", "leads.received", "leads.open", "cases.opened",
                 "clearing.cleared_persons", "supervision.open", "supervision.overdue"]


def township_figures(county, township_ids: list[int], period: str | None = None) -> dict:
    chosen = parse_period(period or "year")
    lines = {line.unit.id: line for line in children_rollup(county, chosen, GUIDANCE_KEYS) if not line.own_level}
    return {"period_label": chosen.label,
            "columns": [{"key": k, "label": str(FIGURES[k].label), "unit": FIGURES[k].unit} for k in GUIDANCE_KEYS],
            "values": {i: {k: int(lines[i][k] or 0) for k in GUIDANCE_KEYS} for i in township_ids if i in lines}}


# The workbench's figures: what is overdue, by area, and the returns not in on time (numbers only).
OVERDUE_KEYS = ["petitions.overdue", "clearing.overdue", "supervision.overdue", "zeroing.overdue",
                "directives.returns_late"]


def unit_overdue(unit, _account) -> list[Row]:
    """本单位逾期: the unit's own overdue figures by area, from its stats rows (one roll-up statement)."""
    line = rollup(unit, month_of(calendar.today()), OVERDUE_KEYS, own_level=True)
    return [Row(label=str(FIGURES[key].label), count=line[key] or 0) for key in OVERDUE_KEYS]


def children_overdue(unit, _account) -> list[Row]:
    """下级单位逾期与迟报: each child's subtree, overdue by area and late returns (one roll-up statement)."""
    lines = children_rollup(unit, month_of(calendar.today()), OVERDUE_KEYS)
    return [Row(label=line.unit.name, count=sum(line[key] or 0 for key in OVERDUE_KEYS[:-1]),
                counts=tuple((str(FIGURES[key].label), line[key] or 0) for key in OVERDUE_KEYS))
            for line in lines if not line.own_level]


def periodic(config) -> list:
    return [*jobs.PERIODIC, *bulletin_jobs.PERIODIC, *export_jobs.PERIODIC, *federation_jobs.periodic(config)]


AREA = Area(
    "reporting",
    # federation_api: /api/v1/federation, the peer's signature is its authentication (no session, no CSRF form)
    blueprints=(bulletins_bp, indicators_bp, dashboards_bp, exports_bp, federation_api, federation_views.bp),
    api=(api, bulletins_api, exports_api),
    periodic=periodic,
    demo=(indicators_demo.seed, bulletins_demo.seed),
    workspace_links=(("bulletins.index", _l("通报"), Action.ROLLUPS_READ, 70),
                     ("indicators.index", _l("考核指标"), Action.ROLLUPS_READ, 80),
                     ("dashboards.index", _l("统计分析"), Action.ROLLUPS_READ, 90)),
    admin_links=(("federation.index", _l("联网上报"), Action.UNITS_MANAGE),),
    status_panels=(reconcile.status_panel, federation_views.status_panel),
    cli=(register_reporting_cli, register_federation_cli),
    install=install,
    workbench=(Panel("reporting.unit_overdue", _l("本单位逾期情况"), unit_overdue, FIGURE_READERS, numbers=True,
                     rank=60, href=("dashboards.index", {}), action=Action.ROLLUPS_READ),
               Panel("reporting.children_overdue", _l("下级单位逾期与迟报"), children_overdue, FIGURE_READERS,
                     numbers=True, above_township=True, rank=65, href=("dashboards.index", {}),
                     action=Action.ROLLUPS_BREAKDOWN)),
)
