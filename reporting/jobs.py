"""Reporting's periodic jobs: fresh time-based figures for the units that moved, the nightly recount."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import delete, select

from core import calendar
from core.extensions import db
from core.audit.operations import record as audit
from core.jobs import Periodic, across_units, job
from reporting import reconcile
from reporting.models import ReconcileRun
from tenants.models import ChangedUnit, Unit


def refresh_changed_units(today: date) -> dict[str, int]:
    """Recount the time-based figures (overdue, late returns) of every unit marked changed since the
    last run; each area registers its recount in ``qinglian_time_based_figures``."""
    marks = db.session.execute(select(ChangedUnit.id, ChangedUnit.unit_id)).all()
    if not marks:
        return {"units": 0}
    refreshers = current_app.extensions["qinglian_time_based_figures"]
    for unit_id in sorted({unit_id for _id, unit_id in marks}):
        unit = db.session.get(Unit, unit_id)
        for refresh in refreshers:
            refresh(unit, today)
    # Only the marks read: a unit marked meanwhile is refreshed on the next run.
    db.session.execute(delete(ChangedUnit).where(ChangedUnit.id.in_([mark_id for mark_id, _u in marks])))
    return {"units": len({unit_id for _id, unit_id in marks})}


@job("maintenance", timeout=600)
def refresh_time_based_figures() -> dict:
    return across_units(lambda: refresh_changed_units(calendar.today()))


@job("maintenance", timeout=3600)
def reconcile_figures() -> dict:
    """Recount every unit's figures from its records; mend and audit drift; keep the run for the status page."""
    return across_units(lambda: record_reconcile_run(calendar.today()))


def record_reconcile_run(today: date) -> dict:
    result = reconcile.reconcile_all(today, mend=True)
    db.session.add(ReconcileRun(units=result["units"], drifted_units=result["drifted_units"], drifts=result["drifts"],
                                metrics=result["metrics"]))
    if result["drifts"]:
        audit("reporting.figures_reconciled", detail={k: result[k] for k in ("units", "drifted_units", "drifts",
                                                                              "metrics", "sample")})
    return {k: v for k, v in result.items() if k != "sample"}


PERIODIC = [Periodic(refresh_time_based_figures, "* * * * *"), Periodic(reconcile_figures, "30 2 * * *")]


def reconcile_status_panel() -> dict:
    """The admin status page's panel: the last recounts, with the metrics that drifted (names only)."""
    from flask_babel import gettext as _

    runs = db.session.scalars(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(10)).all()
    rows = [{"bad": run.drifts > 0,
             "cells": [run.ran_at.strftime("%Y-%m-%d %H:%M"), run.units, run.drifted_units, run.drifts,
                       "、".join(f"{m}（{n}）" for m, n in run.metrics.items()) or _("无偏差")]} for run in runs]
    return {"title": _("统计数据核对（每晚从记录重新计数）"), "header": [_("时间"), _("核对单位"), _("有偏差单位"), _("偏差项"),
                                                             _("偏差指标（项数）")],
            "rows": rows, "empty": _("尚未运行"), "note": _("偏差已按记录自动纠正，并记入审计日志。")}
