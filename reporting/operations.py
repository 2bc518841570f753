"""Reporting's writes: the refresh of units marked changed, the fold of the stats journal into the
subtree totals (and their rebuild), and the record of the nightly recount."""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, func, select, text

from core.areas import installed
from core.audit.operations import record as audit
from core.extensions import db
from core.models import upsert_insert
from reporting import reconcile
from reporting.models import ReconcileRun
from tenants.models import ChangedUnit, Unit, UnitStatJournal, UnitStatTotal
from tenants.stats import MAX_DEPTH_SQL, rebuild_totals_statements

JOURNAL = UnitStatJournal.__table__
TOTALS = UnitStatTotal.__table__
FOLD_BATCH = 5000  # totals rows per upsert statement


def refresh_changed_units(today: date) -> dict[str, int]:
    """Recount the time-based figures (overdue, late returns) of every unit marked changed since the
    last run; each area declares its recount (``Area.recounts``)."""
    marks = db.session.execute(select(ChangedUnit.id, ChangedUnit.unit_id)).all()
    if not marks:
        return {"units": 0}
    refreshers = installed().recounts
    for unit_id in sorted({unit_id for _id, unit_id in marks}):
        unit = db.session.get(Unit, unit_id)
        for refresh in refreshers:
            refresh(unit, today)
    # Only the marks read: a unit marked meanwhile is refreshed on the next run.
    db.session.execute(delete(ChangedUnit).where(ChangedUnit.id.in_([mark_id for mark_id, _u in marks])))
    return {"units": len({unit_id for _id, unit_id in marks})}


def fold_journal() -> dict[str, int]:
    """Add the journal's moves to the subtree totals of their unit and of every ancestor, and delete them,
    in the caller's transaction (maintenance context). The moves folded are exactly those the DELETE
    removes (RETURNING): a move committed meanwhile stays for the next fold, and of two folds running at
    once (RQ delivers at least once) the second finds the first's moves gone. A roll-up reads totals and
    journal in one statement, so it sees each move once, before or after the fold commits."""
    top = db.session.scalar(select(func.max(JOURNAL.c.id)))
    if top is None:
        return {"moves": 0, "totals": 0}
    moves = db.session.execute(delete(JOURNAL).where(JOURNAL.c.id <= top).returning(
        JOURNAL.c.unit_path, JOURNAL.c.metric, JOURNAL.c.period, JOURNAL.c.delta)).all()
    sums: Counter = Counter()
    for path, metric, period, delta in moves:
        ids = path.split(".")[:-1]
        for depth in range(1, len(ids) + 1):  # the unit and each ancestor: ids from the root
            sums[(int(ids[depth - 1]), ".".join(ids[:depth]) + ".", metric, period)] += delta
    rows = [{"unit_id": unit_id, "unit_path": unit_path, "metric": metric, "period": period, "value": value}
            for (unit_id, unit_path, metric, period), value in sorted(sums.items()) if value]
    # Sorted: two folds lock the totals rows they add to in the same order (no deadlock).
    for start in range(0, len(rows), FOLD_BATCH):
        stmt = upsert_insert(TOTALS)
        db.session.execute(stmt.on_conflict_do_update(index_elements=["unit_id", "metric", "period"],
                                                      set_={"value": TOTALS.c.value + stmt.excluded.value}),
                           rows[start:start + FOLD_BATCH])
    return {"moves": len(moves), "totals": len(rows)}


def rebuild_totals() -> dict[str, int]:
    """Make the subtree totals the sums of the stats rows again, from scratch (maintenance context, the
    caller's transaction): the journal is locked against new moves and emptied (its moves are in the
    stats rows already), every unit's totals recomputed level by level (tenants.stats)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # A move being written waits for the rebuild and lands in the journal after it.
        db.session.execute(text("LOCK TABLE unit_stat_journal IN EXCLUSIVE MODE"))
    dropped = db.session.execute(delete(JOURNAL)).rowcount
    for statement in rebuild_totals_statements(db.session.execute(text(MAX_DEPTH_SQL)).scalar() or 0):
        db.session.execute(text(statement))
    return {"journal_moves_dropped": dropped,
            "totals": db.session.scalar(select(func.count()).select_from(TOTALS).where(TOTALS.c.value != 0))}


def record_reconcile_run(today: date) -> dict:
    result = reconcile.reconcile_all(today, mend=True)
    db.session.add(ReconcileRun(units=result["units"], drifted_units=result["drifted_units"], drifts=result["drifts"],
                                metrics=result["metrics"]))
    if result["drifts"]:
        audit("reporting.figures_reconciled", detail={k: result[k] for k in ("units", "drifted_units", "drifts",
                                                                              "metrics", "sample")})
    return {k: v for k, v in result.items() if k != "sample"}
