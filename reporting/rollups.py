"""Roll-ups: an ancestor's figure is the sum of its subtree's stats rows over a path range."""
from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from tenants.models import Unit, UnitStat, upper_bound


def subtree_totals(unit: Unit, metrics: list[str], period: str = "") -> dict[str, int]:
    rows = db.session.execute(
        select(UnitStat.metric, func.coalesce(func.sum(UnitStat.value), 0))
        .where(UnitStat.metric.in_(metrics), UnitStat.period == period,
               UnitStat.unit_path >= unit.path, UnitStat.unit_path < upper_bound(unit.path))
        .group_by(UnitStat.metric)
    ).all()
    totals = dict.fromkeys(metrics, 0)
    totals.update({metric: int(value) for metric, value in rows})
    return totals
