"""Periodic jobs of clearing names: deadline and visit warnings with the overdue figures, and the nightly
recount of every unit's clearing figures from its records."""
from sqlalchemy import select, union

from core import calendar
from core.audit.operations import record as audit
from core.clearing import operations as ops
from core.clearing.models import ClearingCandidate, ClearingCase
from core.extensions import db
from core.jobs import Periodic, across_units, job
from tenants.models import Unit, UnitStat


@job("maintenance", timeout=1800)
def scan_clearing_deadlines() -> dict:
    return across_units(lambda: ops.scan_deadlines(calendar.today()))


@job("maintenance", timeout=3600)
def reconcile_clearing_figures() -> dict:
    """Recount each unit with clearing records or figures; mend and audit any drift."""
    return across_units(_reconcile_all)


def _reconcile_all() -> dict:
    unit_ids = db.session.scalars(union(
        select(ClearingCase.unit_id), select(ClearingCandidate.unit_id),
        select(UnitStat.unit_id).where(UnitStat.metric.startswith("clearing.")))).all()
    drifted = {}
    for unit_id in unit_ids:
        drift = ops.reconcile(db.session.get(Unit, unit_id), mend=True)
        if drift:
            drifted[unit_id] = {f"{m}@{p}" if p else m: list(v) for (m, p), v in drift.items()}
            audit("clearing.figures_reconciled", unit_id=unit_id, object_type="unit", object_id=unit_id,
                  detail={"drift": drifted[unit_id]})
    return {"units": len(unit_ids), "drifted": drifted}


PERIODIC = [Periodic(scan_clearing_deadlines, "*/10 * * * *"),
            Periodic(reconcile_clearing_figures, "30 2 * * *")]
