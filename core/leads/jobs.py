"""Periodic job of leads: warnings of leads past their disposal deadline (or review date) and each unit's overdue
figure, recounted."""
from __future__ import annotations

from core import calendar
from core.jobs import Periodic, across_units, job
from core.leads import operations as ops


@job("maintenance", timeout=1800)
def scan_lead_deadlines() -> dict:
    return across_units(lambda: ops.scan_overdue(calendar.today()))


@job("maintenance", timeout=1800)
def scan_lead_reports() -> dict:
    """月报备: townships whose due monthly report is missing, named in their county's inbox and counted."""
    return across_units(lambda: ops.scan_reports(calendar.today()))


PERIODIC = [Periodic(scan_lead_deadlines, "*/10 * * * *"), Periodic(scan_lead_reports, "15 * * * *")]
