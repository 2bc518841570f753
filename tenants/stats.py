"""Reading the per-unit stats rows: a subtree's figure is a sum over the path range (never a
counter kept on the ancestor). Casework reads it for generated returns; reporting for roll-ups."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.extensions import db
from tenants.models import Unit, UnitStat, upper_bound


def subtree_sum(unit: Unit, metrics: list[str], *, period: str = "", since: date | None = None,
                until: date | None = None) -> dict[str, int]:
    """Each metric summed over the unit's subtree: the stock row (period ''), one period, or the
    dated increments (ISO-day periods) from ``since`` to ``until`` inclusive."""
    stmt = select(UnitStat.metric, func.coalesce(func.sum(UnitStat.value), 0)).where(
        UnitStat.metric.in_(metrics), UnitStat.unit_path >= unit.path, UnitStat.unit_path < upper_bound(unit.path))
    if since is not None or until is not None:
        # ISO days sort as strings; the length test keeps month ("2026-11") and other keys out.
        stmt = stmt.where(UnitStat.period >= (since or date.min).isoformat(),
                          UnitStat.period <= (until or date.max).isoformat(), func.length(UnitStat.period) == 10)
    else:
        stmt = stmt.where(UnitStat.period == period)
    totals = dict.fromkeys(metrics, 0)
    totals.update({metric: int(value) for metric, value in db.session.execute(stmt.group_by(UnitStat.metric))})
    return totals
