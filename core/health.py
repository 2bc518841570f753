"""GET /healthz: database and Redis state for load balancers and monitoring."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report = {"database": "ok", "redis": "not configured (jobs run inline)"}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # report, never raise: this page must answer when things are down
        report["database"] = f"error: {type(exc).__name__}"
        healthy = False
    if current_app.config.get("REDIS_URL"):
        from core.jobs import redis_connection

        try:
            redis_connection().ping()
            report["redis"] = "ok"
        except Exception as exc:
            report["redis"] = f"error: {type(exc).__name__}"
            healthy = False
    report["status"] = "ok" if healthy else "degraded"
    return jsonify(report), 200 if healthy else 503
