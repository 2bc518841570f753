"""The nightly recount: every unit's figures counted again from its records and compared with its
stats rows, then every unit's subtree totals (plus the moves journaled since) with the sums of its
subtree's stats rows. Drift (a bug, or a write that bypassed the operations) is mended, audited and
shown on the admin status page.

Each area declares its recount next to its writes (``Area.figures``): {(metric, period key): value} for one
unit, with the week, month and year keys of its dated figures (``tenants.stats.with_coarser_keys``), over
the metrics it owns; and the records whose units have figures (``Area.figure_sources``). This module only
loops over the installed areas.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, literal_column, select, union_all

from core.areas import installed
from core.extensions import db
from core.models import upsert_insert
from core.timefmt import local_time
from reporting.models import ReconcileRun
from tenants import operations as tenancy_ops
from tenants.models import Unit, UnitStat, UnitStatJournal, UnitStatTotal, upper_bound


def stored(unit: Unit, prefix: str) -> dict:
    rows = db.session.execute(select(UnitStat.metric, UnitStat.period, UnitStat.value).where(
        UnitStat.unit_id == unit.id, UnitStat.metric.startswith(prefix)))
    return {(metric, period): value for metric, period, value in rows if value}


@dataclass
class Drift:
    unit_id: int
    metric: str
    period: str
    stored: int
    counted: int


def reconcile_unit(unit: Unit, today: date, *, mend: bool = False) -> list[Drift]:
    drifts = []
    for prefix, recount in installed().figures:
        counted = {key: value for key, value in recount(unit, today).items() if value}
        have = stored(unit, prefix)
        for key in sorted(have.keys() | counted.keys()):
            if have.get(key, 0) != counted.get(key, 0):
                drifts.append(Drift(unit.id, key[0], key[1], have.get(key, 0), counted.get(key, 0)))
    if mend:
        for drift in drifts:
            tenancy_ops.set_stat(unit, drift.metric, drift.counted, drift.period)
    return drifts


def units_with_figures_or_records() -> list[int]:
    ids = set(db.session.scalars(select(UnitStat.unit_id).distinct()))
    for model, column in installed().figure_sources:
        ids |= set(db.session.scalars(select(getattr(model, column)).distinct()))
    # A federated unit's figures are pushed by its own deployment: there are no records here to count.
    return sorted(ids - set(db.session.scalars(select(Unit.id).where(Unit.federated.is_(True)))))


def reconcile_all(today: date, *, mend: bool = True) -> dict:
    """Every unit with figures or records, recounted (maintenance context); then every unit's subtree
    totals checked against the stats rows."""
    drifts: list[Drift] = []
    unit_ids = units_with_figures_or_records()
    for unit_id in unit_ids:
        drifts += reconcile_unit(db.session.get(Unit, unit_id), today, mend=mend)
    # Then the subtree totals: after the mends above, which reached them through the journal (set_stat).
    drifts += reconcile_totals(mend=mend)
    by_metric = Counter(d.metric for d in drifts)
    return {"units": len(unit_ids), "drifted_units": len({d.unit_id for d in drifts}), "drifts": len(drifts),
            "metrics": dict(by_metric.most_common(20)),
            "sample": [vars(d) for d in drifts[:50]]}


TOTALS_PREFIX = "totals:"  # a drift of a subtree total, named so on the status page


def totals_of(unit_id: int, path: str) -> list[tuple[str, str, int, int]]:
    """One statement: (metric, period key, kept, summed) wherever the unit's subtree total plus the moves
    journaled in its subtree differs from the sum of its subtree's stats rows. One snapshot, so a fold
    or a move committing meanwhile is seen on both sides or on neither."""
    stats, totals, journal = UnitStat.__table__, UnitStatTotal.__table__, UnitStatJournal.__table__
    source = literal_column("'s'").label("source")
    kept = literal_column("'k'").label("source")
    rows = union_all(
        select(source, stats.c.metric, stats.c.period, stats.c.value.label("value"))
        .where(stats.c.unit_path >= path, stats.c.unit_path < upper_bound(path)),
        select(kept, totals.c.metric, totals.c.period, totals.c.value).where(totals.c.unit_id == unit_id),
        select(kept, journal.c.metric, journal.c.period, journal.c.delta)
        .where(journal.c.unit_path >= path, journal.c.unit_path < upper_bound(path)),
    ).subquery()
    have = func.sum(case((rows.c.source == "k", rows.c.value), else_=0))
    want = func.sum(case((rows.c.source == "s", rows.c.value), else_=0))
    return [(metric, period, int(k), int(w)) for metric, period, k, w in db.session.execute(
        select(rows.c.metric, rows.c.period, have, want).group_by(rows.c.metric, rows.c.period)
        .having(have != want))]


def reconcile_totals(*, mend: bool = True) -> list[Drift]:
    """Every unit's subtree totals against the stats rows (maintenance context); with ``mend`` each drift
    is added to the total (relative: moves and folds meanwhile keep their own effect)."""
    table = UnitStatTotal.__table__
    drifts = []
    for unit_id, path in db.session.execute(select(Unit.id, Unit.path).order_by(Unit.path)).all():
        for metric, period, kept_value, summed in totals_of(unit_id, path):
            drifts.append(Drift(unit_id, TOTALS_PREFIX + metric, period, kept_value, summed))
            if mend:
                stmt = upsert_insert(table).values(unit_id=unit_id, unit_path=path, metric=metric, period=period,
                                                   value=summed - kept_value)
                db.session.execute(stmt.on_conflict_do_update(index_elements=["unit_id", "metric", "period"],
                                                              set_={"value": table.c.value + stmt.excluded.value}))
    return drifts


def status_panel() -> dict:
    """The admin status page's panel: the last recounts, with the metrics that drifted (names only)."""
    from flask_babel import gettext as _

    runs = db.session.scalars(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(10)).all()
    rows = [{"bad": run.drifts > 0,
             "cells": [local_time(run.ran_at), run.units, run.drifted_units, run.drifts,
                       "、".join(f"{m}（{n}）" for m, n in run.metrics.items()) or _("无偏差")]} for run in runs]
    return {"title": _("统计数据核对（每晚从记录重新计数）"), "header": [_("时间"), _("核对单位"), _("有偏差单位"), _("偏差项"),
                                                             _("偏差指标（项数）")],
            "rows": rows, "empty": _("尚未运行"), "note": _("偏差已按记录自动纠正，并记入审计日志。")}
