"""The reporting floor's declaration for the app factory (core/areas.py): above every casework area.

Numbers only: roll-ups, bulletins, indicators, dashboards, exports and the federation with an upstream
deployment. It fills one registry of a casework area: the zones' pages show their figures from here."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
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
from reporting.exports.views import bp as exports_bp
from reporting.federation import jobs as federation_jobs
from reporting.federation import views as federation_views
from reporting.federation.api import federation_api
from reporting.federation.cli import register_federation_cli
from reporting.indicators import demo as indicators_demo
from reporting.indicators.views import bp as indicators_bp
from tenants.access import Action


def install(_app: Flask) -> None:
    ZONE_FIGURES.register("zone_figures", zones.zone_figures)  # per zone, the sum over its members


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
)
