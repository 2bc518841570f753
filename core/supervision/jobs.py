"""Periodic job of supervision items: due-soon and overdue warnings, escalation, late progress reports."""
from core import calendar, context
from core.extensions import db
from core.jobs import Periodic, job
from core.supervision import operations as ops


@job("maintenance", timeout=1800)
def scan_supervision_deadlines() -> dict:
    with context.acting(context.maintenance_context(), db.session):
        posted = ops.scan_deadlines(calendar.today())
        db.session.flush()  # written while the context that RLS admits is still active
        return posted


PERIODIC = [Periodic(scan_supervision_deadlines, "*/10 * * * *")]
