"""Periodic job of directives: return tasks, reminders and warnings across all units."""
from core import calendar
from core.directives import operations as ops
from core.jobs import Periodic, across_units, job


@job("maintenance", timeout=1800)
def scan_directive_deadlines() -> dict:
    return across_units(lambda: ops.scan_deadlines(calendar.today()))


PERIODIC = [Periodic(scan_directive_deadlines, "*/10 * * * *")]
