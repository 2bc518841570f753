"""Periodic job of cases: reviews past their deadline (warned, then raised to the reviewing unit's leader),
execution steps past their due date (the handler and the county warned), and the overdue figures, recounted."""
from __future__ import annotations

from core import calendar
from core.cases import operations as ops
from core.jobs import Periodic, across_units, job


@job("maintenance", timeout=1800)
def scan_case_deadlines() -> dict:
    return across_units(lambda: ops.scan_overdue(calendar.today()))


PERIODIC = [Periodic(scan_case_deadlines, "*/10 * * * *")]
