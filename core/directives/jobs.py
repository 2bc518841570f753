"""Periodic job of directives: return tasks, reminders and warnings across all units."""
from core import calendar, context
from core.directives import operations as ops
from core.extensions import db
from core.jobs import Periodic, job


@job("maintenance", timeout=1800)
def scan_directive_deadlines() -> dict:
    # Spans every unit: the maintenance context, as for every cross-unit job.
    with context.acting(context.maintenance_context(), db.session):
        posted = ops.scan_deadlines(calendar.today())
        db.session.flush()  # written while the context that RLS admits is still active
        return posted


PERIODIC = [Periodic(scan_directive_deadlines, "*/10 * * * *")]
