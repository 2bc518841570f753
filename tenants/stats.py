"""Reading the per-unit stats rows: a subtree's figure is the sum of its units' rows (no counter on an
ancestor is written by the writing transaction), read as the subtree totals kept by the fold of the
journal of moves plus the moves not folded yet (``unit_stat_totals`` + ``unit_stat_journal``). Casework
reads it through ``subtree_sum`` (generated returns, the zeroing progress); reporting's roll-ups read
many at once (reporting.rollups). The SQL below builds the totals from the rows.

Keys of a row's ``period``: '' is the current stock; a dated increment is written under its ISO day
and, by ``tenants.operations.bump_stat``, also under its ISO week, month and year, so that any period
(this week, a quarter, a custom range) is a sum over a handful of keys rather than over every day.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select, union_all

from core.extensions import db
from tenants.models import Unit, UnitStatJournal, UnitStatTotal, upper_bound


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def dated_keys(day: date) -> tuple[str, str, str, str]:
    """The four keys one dated increment is written under: day, ISO week, month, year."""
    return day.isoformat(), week_key(day), f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}"


def day_of(period: str) -> date | None:
    """The day of an ISO-day key, else None (stock, week, month and year keys)."""
    if len(period) != 10:
        return None
    try:
        return date.fromisoformat(period)
    except ValueError:
        return None


def with_coarser_keys(figures: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """{(metric, day): n} counted from records, plus the week/month/year rows bump_stat keeps beside them."""
    expanded: Counter = Counter()
    for (metric, period), value in figures.items():
        day = day_of(period)
        for key in dated_keys(day) if day else (period,):
            expanded[(metric, key)] += value
    return {key: value for key, value in expanded.items() if value}


def covering_keys(since: date, until: date) -> list[str]:
    """The fewest stored keys whose days are exactly ``since``..``until``: whole years, then whole
    months, then whole ISO weeks, then single days (each day covered once)."""
    keys: list[str] = []
    day = since
    while day <= until:
        year_end = date(day.year, 12, 31)
        next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day.month == 1 and day.day == 1 and year_end <= until:
            keys.append(f"{day.year:04d}")
            day = year_end + timedelta(days=1)
        elif day.day == 1 and next_month - timedelta(days=1) <= until:
            keys.append(f"{day.year:04d}-{day.month:02d}")
            day = next_month
        elif day.weekday() == 0 and day + timedelta(days=6) <= until and (day + timedelta(days=6)).month == day.month:
            # Weeks only inside a month, so a month key later in the range never overlaps one.
            keys.append(week_key(day))
            day += timedelta(days=7)
        else:
            keys.append(day.isoformat())
            day += timedelta(days=1)
    return keys


def subtree_sum(unit: Unit, metrics: list[str], *, period: str = "", since: date | None = None,
                until: date | None = None) -> dict[str, int]:
    """Each metric summed over the unit's subtree: the stock row (period ''), one stored period key,
    or the dated increments from ``since`` to ``until`` inclusive. Read as the unit's subtree totals
    plus the journal's moves in its range since the last fold, in one statement (one snapshot): a few
    rows, not a sum over every unit below."""
    if since is not None or until is not None:
        # Open ends: no increment is dated before 2000 or after the end of next year.
        keys = covering_keys(since or date(2000, 1, 1), until or date(date.today().year + 1, 12, 31))
    else:
        keys = [period]
    totals = select(UnitStatTotal.metric, UnitStatTotal.value).where(
        UnitStatTotal.unit_id == unit.id, UnitStatTotal.metric.in_(metrics), UnitStatTotal.period.in_(keys))
    moves = select(UnitStatJournal.metric, UnitStatJournal.delta).where(
        UnitStatJournal.unit_path >= unit.path, UnitStatJournal.unit_path < upper_bound(unit.path),
        UnitStatJournal.metric.in_(metrics), UnitStatJournal.period.in_(keys))
    sums = dict.fromkeys(metrics, 0)
    for metric, value in db.session.execute(union_all(totals, moves)):
        sums[metric] += int(value)
    return sums


# ---------------------------------------------------------------- subtree totals (unit_stat_totals)


def _depth(column: str) -> str:
    """SQL: the depth of a materialized path (the root's is 1), on PostgreSQL and SQLite alike."""
    return f"(length({column}) - length(replace({column}, '.', '')))"


def rebuild_totals_statements(max_depth: int, *, empty: bool = False, metrics: tuple[str, ...] = ()) -> list[str]:
    """SQL that makes ``unit_stat_totals`` the subtree sums of ``unit_stats`` (each unit's own rows plus
    its children's totals, deepest level first), for PostgreSQL and SQLite.

    Over existing totals (reporting.operations.rebuild_totals, in one transaction with the journal locked
    and emptied, its moves being in unit_stats already): every row zeroed, each unit's own rows added,
    then each level's totals added to its parents' (upserts). Into an ``empty`` table (the migration, the
    benchmark's generator; no unique index needed): one plain INSERT per level, the deepest first, of its
    units' own rows and their children's totals; ``metrics``: only theirs (the caller
    deletes their totals rows first). Rows summing to zero are left out (upsert: stay)."""
    depth_of = _depth
    if empty:
        only = ("AND {table}.metric IN (" + ", ".join(f"'{m}'" for m in metrics) + ")") if metrics else ""
        return [
            "INSERT INTO unit_stat_totals (unit_id, unit_path, metric, period, value) "
            "SELECT u.id, u.path, x.metric, x.period, SUM(x.value) FROM ("
            " SELECT s.unit_id AS unit_id, s.metric AS metric, s.period AS period, s.value AS value"
            f" FROM unit_stats s JOIN units o ON o.id = s.unit_id WHERE {depth_of('o.path')} = {depth}"
            f" {only.format(table='s')}"
            " UNION ALL"
            " SELECT c.parent_id, t.metric, t.period, t.value"
            f" FROM unit_stat_totals t JOIN units c ON c.id = t.unit_id WHERE {depth_of('c.path')} = {depth + 1}"
            f" {only.format(table='t')}"
            ") x JOIN units u ON u.id = x.unit_id "
            "GROUP BY u.id, u.path, x.metric, x.period HAVING SUM(x.value) <> 0"
            for depth in range(max_depth, 0, -1)]
    add = "ON CONFLICT (unit_id, metric, period) DO UPDATE SET value = unit_stat_totals.value + excluded.value"
    statements = [
        "UPDATE unit_stat_totals SET value = 0 WHERE value <> 0",
        # WHERE: SQLite's parser needs one before an upsert's ON CONFLICT after a SELECT.
        "INSERT INTO unit_stat_totals (unit_id, unit_path, metric, period, value) "
        "SELECT s.unit_id, u.path, s.metric, s.period, s.value FROM unit_stats s JOIN units u ON u.id = s.unit_id "
        f"WHERE s.value <> 0 {add}",
    ]
    for depth in range(max_depth - 1, 0, -1):
        statements.append(
            "INSERT INTO unit_stat_totals (unit_id, unit_path, metric, period, value) "
            "SELECT p.id, p.path, t.metric, t.period, SUM(t.value) FROM unit_stat_totals t "
            "JOIN units c ON c.id = t.unit_id JOIN units p ON p.id = c.parent_id "
            f"WHERE {depth_of('c.path')} = {depth + 1} AND t.value <> 0 "
            f"GROUP BY p.id, p.path, t.metric, t.period {add}")
    return statements


MAX_DEPTH_SQL = f"SELECT COALESCE(MAX({_depth('path')}), 0) FROM units"
