"""The app factory: the one place that knows every layer. It builds the kernel, then installs the declared
areas in their order (core/areas.py, core/AREAS.md): their blueprints, API routes, commands, periodic jobs,
recounts, demo seeders, menus, status panels and the registries they fill.

Nothing imports this module but the entry points (``wsgi.py``, the tests, the benchmarks): the kernel does not
know the areas, and an area does not know the factory.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event

from core import api, calendar, context, health, jobs, numbering, schemas, timefmt, workflow  # noqa: F401 (models)
from core.areas import EXTENSION, ORDER, Area, Installed, record_panels
from core import job_runs
from core.audit import jobs as audit_jobs
from core.audit.operations import record_failed_request
from core.calendar_views import calendar_bp
from core.cli import register_cli
from core.config import load_config
from core.errors import SERVER_ERROR_HOOKS, register_error_handlers
from core.extensions import babel, csrf, db, limiter, login_manager, ma, migrate
from core.identity import jobs as identity_jobs
from core.identity.views import bp as auth_bp
from core.proxies import TrustedProxies
from core.attachments.area import AREA as ATTACHMENTS
from core.cases.area import AREA as CASES
from core.clearing.area import AREA as CLEARING
from core.directives.area import AREA as DIRECTIVES
from core.evidence.area import AREA as EVIDENCE
from core.handlers.area import AREA as HANDLERS
from core.renditions.area import AREA as RENDITIONS
from core.imports.area import AREA as IMPORTS
from core.reception.area import AREA as RECEPTION
from core.ledgers.area import AREA as LEDGERS
from core.guidance.area import AREA as GUIDANCE
from core.casebook.area import AREA as CASEBOOK
from core.inbox.area import AREA as INBOX
from core.leads.area import AREA as LEADS
from core.meetings.area import AREA as MEETINGS
from core.petitions.area import AREA as PETITIONS
from core.supervision.area import AREA as SUPERVISION
from core.villages.area import AREA as VILLAGES
from core.zeroing.area import AREA as ZEROING
from core.zones.area import AREA as ZONES
from reporting.area import AREA as REPORTING
from tenants import scoping
from tenants.area import AREA as TENANTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The kernel's own pages, jobs and commands (the API blueprint is registered last, when every area's routes
# are on it).
KERNEL = Area("kernel", blueprints=(health.bp, auth_bp, calendar_bp),
              periodic=(*audit_jobs.PERIODIC, *identity_jobs.PERIODIC, *jobs.PERIODIC, *job_runs.PERIODIC),
              cli=(register_cli,))
# Lowest first: the kernel, tenancy, the casework areas in their declared order, reporting.
CASEWORK = (INBOX, ATTACHMENTS, HANDLERS, RENDITIONS, SUPERVISION, PETITIONS, CLEARING, DIRECTIVES, ZEROING, LEADS, CASES, VILLAGES, MEETINGS, EVIDENCE, ZONES, IMPORTS, RECEPTION, LEDGERS, GUIDANCE, CASEBOOK)
LAYERS = (KERNEL, TENANTS, *CASEWORK, REPORTING)
assert tuple(area.name for area in CASEWORK) == ORDER, "the factory installs the areas in the declared order"
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
    scoping.install()  # the ORM auto-filter and the read audit on every session

    # Behind nginx: the client address from X-Forwarded-For, but only when the peer is a listed proxy.
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])

    _install_layers(app)
    _register_request_pipeline(app)
    from flask_babel import get_locale

    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale, record_panels=record_panels)
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


def _install_layers(app: Flask) -> None:
    installed = Installed()
    for area in LAYERS:
        for blueprint in area.blueprints:
            app.register_blueprint(blueprint)
        for register in area.cli:
            register(app)
        installed.periodic += area.periodic_jobs(app.config)
        installed.areas.append(area)
        if area.install is not None:
            area.install(app)
    csrf.exempt(api.api)  # the API checks CSRF itself, for cookie-authenticated calls only
    app.register_blueprint(api.api)  # every area's routes are on it now (their ``api`` modules are imported)
    app.extensions[EXTENSION] = installed


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
