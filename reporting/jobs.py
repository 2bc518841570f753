"""Reporting's periodic jobs: fresh time-based figures for the units that moved, the nightly recount."""
from __future__ import annotations

from core import calendar
from core.jobs import Periodic, across_units, job
from reporting import operations as ops


@job("maintenance", timeout=600)
def refresh_time_based_figures() -> dict:
    return across_units(lambda: ops.refresh_changed_units(calendar.today()))


@job("maintenance", timeout=3600)
def reconcile_figures() -> dict:
    """Recount every unit's figures from its records; mend and audit drift; keep the run for the status page."""
    return across_units(lambda: ops.record_reconcile_run(calendar.today()))


PERIODIC = [Periodic(refresh_time_based_figures, "* * * * *"), Periodic(reconcile_figures, "30 2 * * *")]
