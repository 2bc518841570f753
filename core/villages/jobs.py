"""Periodic job of villages: warnings of plan items past their deadline and of C villages whose township's 一把手
heard no report last month, and each township's time-based figures, recounted."""
from __future__ import annotations

from core import calendar
from core.jobs import Periodic, across_units, job
from core.villages import operations as ops


@job("maintenance", timeout=1800)
def scan_village_plans() -> dict:
    return across_units(lambda: ops.scan(calendar.today()))


PERIODIC = [Periodic(scan_village_plans, "7 * * * *")]
