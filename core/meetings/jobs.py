"""Periodic job of on-site meetings: warnings to the tour team of registered issues past their deadline, and each
county's overdue figure, recounted."""
from __future__ import annotations

from core import calendar
from core.jobs import Periodic, across_units, job
from core.meetings import operations as ops


@job("maintenance", timeout=1800)
def scan_meeting_issues() -> dict:
    return across_units(lambda: ops.scan(calendar.today()))


PERIODIC = [Periodic(scan_meeting_issues, "11 * * * *")]
