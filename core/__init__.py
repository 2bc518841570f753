"""Kernel: the app factory and the shared machinery every area builds on.

The factory is the one place that knows every area: it registers their blueprints,
CLI commands and periodic jobs.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event

from core import context, schemas, timefmt
from core.audit.operations import record_failed_request
from core.config import load_config
from core.errors import SERVER_ERROR_HOOKS, register_error_handlers
from core.extensions import babel, csrf, db, limiter, login_manager, ma, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def select_locale() -> str:
    if not has_request_context():  # CLI and jobs: messages in the default language
        return "zh_Hans_CN"
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    lang = session.get("lang") or request.accept_languages.best_match(LANGUAGES, default="zh")
    return "en" if lang == "en" else "zh_Hans_CN"


def create_app(config: dict | None = None) -> Flask:
    instance_path = os.environ.get("QINGLIAN_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=False)
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    # Statement parameters hold names and id numbers: never in an exception's text, hence never in a log.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "hide_parameters": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Roll-ups are short index scans: JIT compilation cost them more than it saved (1.3 s of 1.5 s
        # at the root of a 41,000-unit tree, ops/bench/rollup.py).
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "options": "-c jit=off"}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_for_several_processes)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side login session is the protection
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(PROJECT_ROOT / "core" / "translations"))
    ma.init_app(app)
    timefmt.init_app(app)  # the local_time filter and the JSON of times: the deployment's zone
    limiter.init_app(app)
    register_error_handlers(app)
    if record_failed_request not in SERVER_ERROR_HOOKS:
        SERVER_ERROR_HOOKS.append(record_failed_request)
    schemas.install(app)  # bounded ids in URLs, bounded query/form integers, no NUL or overlong text in any input

    # Behind nginx: the client address from X-Forwarded-For, but only when the peer is a listed proxy.
    from core.proxies import TrustedProxies

    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])

    _register_areas(app)
    _register_request_pipeline(app)
    from flask_babel import get_locale

    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale)
    # Browsers ask for /favicon.ico whatever a page links: the same file as /static/favicon.ico.
    app.add_url_rule("/favicon.ico", endpoint="static", defaults={"filename": "favicon.ico"})
    return app


def _sqlite_for_several_processes(dbapi_connection, _record) -> None:
    # The embedded default runs the app and its cron (flask jobs cron) as two processes on one file:
    # with a write-ahead log, readers never wait for a writer, and a writer waits its turn instead of
    # failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _register_areas(app: Flask) -> None:
    from core import api, calendar, health, jobs, numbering, workflow  # noqa: F401  (kernel models)
    from core.clearing import api as clearing_api  # noqa: F401
    from core.clearing import jobs as clearing_jobs
    from core.clearing.views import bp as clearing_bp
    from core.directives import api as directives_api  # noqa: F401  (routes on the api blueprint)
    from core.directives import jobs as directive_jobs
    from core.directives.views import bp as directives_bp
    from core.imports import api as imports_api  # noqa: F401
    from core.imports import jobs as import_jobs  # noqa: F401  (its records tracked by core.jobs' sweep)
    from core.imports.views import bp as imports_bp
    from core.inbox import api as inbox_api  # noqa: F401
    from core.inbox.views import bp as inbox_bp
    from core.petitions import api as petitions_api  # noqa: F401
    from core.petitions import jobs as petition_jobs
    from core.petitions.views import petitions_bp
    from core.supervision import api as supervision_api  # noqa: F401
    from core.supervision import jobs as supervision_jobs
    from core.supervision.views import bp as supervision_bp
    from core.zeroing import api as zeroing_api  # noqa: F401
    from core.zeroing import jobs as zeroing_jobs
    from core.zeroing.views import bp as zeroing_bp
    from core.zones import api as zones_api  # noqa: F401  (routes on the api blueprint)
    from core.zones import jobs as zone_jobs
    from core.zones.views import bp as zones_bp
    from reporting import api as reporting_api  # noqa: F401  (routes on the api blueprint)
    from reporting import jobs as reporting_jobs
    from reporting.reconcile import status_panel as reconcile_status_panel
    from reporting.bulletins import api as bulletins_api  # noqa: F401  (routes on the api blueprint)
    from reporting.bulletins import demo as bulletins_demo
    from reporting.bulletins import jobs as bulletin_jobs
    from reporting.bulletins.views import bp as bulletins_bp
    from reporting.dashboards.views import bp as dashboards_bp
    from reporting.indicators import demo as indicators_demo
    from reporting.indicators.views import bp as indicators_bp
    from reporting.exports import api as exports_api  # noqa: F401  (routes on the api blueprint)
    from reporting.exports import jobs as export_jobs
    from reporting.exports.views import bp as exports_bp
    from reporting import zones as zone_figures
    from tenants.access import Action
    from core.audit import jobs as audit_jobs
    from core.calendar_views import calendar_bp
    from core.cli import register_cli
    from core.identity import jobs as identity_jobs
    from core.identity.views import bp as auth_bp
    from tenants import api as tenants_api  # noqa: F401  (routes on the api blueprint)
    from tenants.cli import register_tenancy_cli
    from tenants.views import admin_bp, workspace_bp
    from reporting.federation import jobs as federation_jobs
    from reporting.federation.api import federation_api
    from reporting.cli import register_reporting_cli
    from reporting.federation.cli import register_federation_cli
    from reporting.federation.views import bp as federation_bp
    from reporting.federation.views import status_panel as federation_status_panel

    app.register_blueprint(health.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(calendar_bp)
    for area_bp in (inbox_bp, clearing_bp, directives_bp, supervision_bp, petitions_bp, zeroing_bp, imports_bp,
                    zones_bp):
        app.register_blueprint(area_bp)
    app.register_blueprint(bulletins_bp)  # reporting: weekly and monthly bulletins (通报)
    app.register_blueprint(indicators_bp)  # reporting: the province's weighted indicators, scored per unit
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(exports_bp)  # reporting: the lists' xlsx exports
    # The workspace menu: (endpoint, label, action the account needs at the unit).
    app.extensions["qinglian_workspace_links"] = [
        ("clearing.index", _l("澄清正名"), Action.CLEARING_READ),
        ("directives.index", _l("通知与专项活动"), Action.INBOX_READ),
        ("supervision.index", _l("督办件"), Action.SUPERVISION_READ),
        ("petitions.index", _l("信访举报"), Action.PETITIONS_READ),
        ("zeroing.index", _l("积案动态清零"), Action.ZEROING_READ),
        ("zones.index", _l("协作区"), Action.ZONES_READ),
        ("bulletins.index", _l("通报"), Action.ROLLUPS_READ),
        ("indicators.index", _l("考核指标"), Action.ROLLUPS_READ),
        ("dashboards.index", _l("统计分析"), Action.ROLLUPS_READ),
    ]
    csrf.exempt(api.api)  # the API checks CSRF itself, for cookie-authenticated calls only
    app.register_blueprint(api.api)
    app.register_blueprint(federation_api)  # /api/v1/federation: the peer's signature is its authentication
    app.register_blueprint(federation_bp)
    register_cli(app)
    register_tenancy_cli(app)
    register_federation_cli(app)
    register_reporting_cli(app)
    app.extensions["qinglian_periodic"] = [*audit_jobs.PERIODIC, *identity_jobs.PERIODIC,
                                           *directive_jobs.PERIODIC, *supervision_jobs.PERIODIC,
                                           *clearing_jobs.PERIODIC, *petition_jobs.PERIODIC,
                                           *bulletin_jobs.PERIODIC,
                                           *zeroing_jobs.PERIODIC, *zone_jobs.PERIODIC, *reporting_jobs.PERIODIC,
                                           *export_jobs.PERIODIC, *jobs.PERIODIC,
                                           *federation_jobs.periodic(app.config)]
    app.extensions["qinglian_jobs"] = jobs
    app.extensions["qinglian_status_panels"] = [reconcile_status_panel, federation_status_panel]
    # The zones pages' figures (casework does not import reporting): per zone, the sum over its members.
    app.extensions["qinglian_zone_figures"] = zone_figures.zone_figures
    app.extensions["qinglian_admin_links"] = [("federation.index", _l("联网上报"), Action.UNITS_MANAGE)]
    from core.clearing import operations as clearing_ops
    from core.directives import operations as directive_ops
    from core.supervision import operations as supervision_ops
    from core.zeroing import operations as zeroing_ops

    # Each area's recount of one unit's time-based figures (reporting.jobs refreshes the units that moved).
    app.extensions["qinglian_time_based_figures"] = [
        clearing_ops.refresh_overdue, petition_jobs.refresh_overdue, zeroing_ops.refresh_overdue,
        supervision_ops.refresh_overdue, directive_ops.count_late_returns]
    from core.clearing import demo as clearing_demo
    from core.petitions import demo as petitions_demo
    from core.supervision import demo as casework_demo
    from core.zeroing import demo as zeroing_demo
    from core.zones import demo as zones_demo

    app.extensions["qinglian_demo_seeders"] = [casework_demo.seed, petitions_demo.seed, clearing_demo.seed,
                                               zeroing_demo.seed,
                                               zones_demo.seed, indicators_demo.seed, bulletins_demo.seed]


def _register_request_pipeline(app: Flask) -> None:
    from core.identity.sessions import login_gate
    from tenants.access import flush_denial_audit
    from tenants.resolution import resolve_acting_unit

    @app.before_request
    def _identify():
        user = current_user._get_current_object()
        if user.is_authenticated:
            context.activate(
                context.ActingContext(account_id=user.id, platform_role=user.platform_role), db.session
            )
        else:
            context.activate(context.NO_CONTEXT, db.session)

    app.before_request(login_gate)
    app.before_request(resolve_acting_unit)

    @app.after_request
    def _finish(response):
        # One commit per request: changes made by operations persist only if the answer is a success.
        if g.get("audit_denial"):
            flush_denial_audit()
        elif response.status_code < 400:
            db.session.commit()
            from core.jobs import run_inline_jobs

            run_inline_jobs()
        else:
            db.session.rollback()
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_user.is_authenticated or request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response
