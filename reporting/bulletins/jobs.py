"""Jobs of bulletins: last week's on Mondays, last month's on the 1st, for every unit above township."""
from __future__ import annotations

from core.jobs import Periodic, across_units, job
from reporting.bulletins import operations as ops


@job("reports", timeout=3600, retries=(60, 600))
def build_weekly_bulletins(period: str | None = None) -> dict:
    """Last ISO week's bulletin of every active unit above township (those built already are skipped, so a
    retry or a second run changes nothing)."""
    return across_units(lambda: ops.build_all("weekly", period))


@job("reports", timeout=3600, retries=(60, 600))
def build_monthly_bulletins(period: str | None = None) -> dict:
    """Last month's bulletin of every active unit above township (idempotent as the weekly one)."""
    return across_units(lambda: ops.build_all("monthly", period))


PERIODIC = [Periodic(build_weekly_bulletins, "0 1 * * 1"), Periodic(build_monthly_bulletins, "30 1 1 * *")]
