"""Periodic job of clearing names: deadline and visit warnings with the overdue figures."""
from core import calendar
from core.clearing import operations as ops
from core.jobs import Periodic, across_units, job


@job("maintenance", timeout=1800)
def scan_clearing_deadlines() -> dict:
    return across_units(lambda: ops.scan_deadlines(calendar.today()))


# The nightly recount of the figures is reporting's (reporting/jobs.py), over every area at once.
PERIODIC = [Periodic(scan_clearing_deadlines, "*/10 * * * *")]
