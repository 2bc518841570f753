"""Periodic job of supervision items: due-soon and overdue warnings, escalation, late progress reports."""
from core import calendar
from core.jobs import Periodic, across_units, job
from core.supervision import operations as ops


@job("maintenance", timeout=1800)
def scan_supervision_deadlines() -> dict:
    return across_units(lambda: ops.scan_deadlines(calendar.today()))


PERIODIC = [Periodic(scan_supervision_deadlines, "*/10 * * * *")]
