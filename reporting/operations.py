"""Reporting's writes: the refresh of units marked changed and the record of the nightly recount."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import delete, select

from core.audit.operations import record as audit
from core.extensions import db
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



def record_reconcile_run(today: date) -> dict:
    result = reconcile.reconcile_all(today, mend=True)
    db.session.add(ReconcileRun(units=result["units"], drifted_units=result["drifted_units"], drifts=result["drifts"],
                                metrics=result["metrics"]))
    if result["drifts"]:
        audit("reporting.figures_reconciled", detail={k: result[k] for k in ("units", "drifted_units", "drifts",
                                                                              "metrics", "sample")})
    return {k: v for k, v in result.items() if k != "sample"}
