"""Reporting's periodic jobs: fresh time-based figures for the units that moved and the journal of stats
moves folded into the subtree totals (every minute), the nightly recount."""
from __future__ import annotations

from core import calendar
from core.extensions import db
from core.jobs import Periodic, across_units, job
from reporting import operations as ops


@job("maintenance", timeout=600)
def refresh_time_based_figures() -> dict:
    refreshed = across_units(lambda: ops.refresh_changed_units(calendar.today()))
    db.session.commit()  # the refresh stands even if the fold fails; the fold takes its moves too
    return refreshed | across_units(ops.fold_journal)


@job("maintenance", timeout=3600)
def reconcile_figures() -> dict:
    """Recount every unit's figures from its records; mend and audit drift; keep the run for the status page."""
    return across_units(lambda: ops.record_reconcile_run(calendar.today()))


@job("maintenance", timeout=3600)
def rebuild_subtree_totals() -> dict:
    """The subtree totals made again from the stats rows (not periodic: after a restore, or by hand)."""
    return across_units(ops.rebuild_totals)


PERIODIC = [Periodic(refresh_time_based_figures, "* * * * *"), Periodic(reconcile_figures, "30 2 * * *")]
