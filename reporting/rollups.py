"""Roll-ups: a unit's figures are sums of its subtree's stats rows, read as the unit's subtree totals
(``unit_stat_totals``, as of the last fold) plus the moves journaled since in its subtree's range
(``unit_stat_journal``), in one statement, so PostgreSQL's statement snapshot sees each move once:
exact at commit, and a few rows per figure whatever the size of the subtree. The 本级 line is the
unit's own stats rows. Ratios and coverage are computed from those sums. Numbers only: nothing here
reads a record.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from flask import g, has_request_context
from sqlalchemy import Integer, String, and_, bindparam, func, select, text, union_all

from core import context
from core.extensions import db
from reporting.figures import FIGURES, Figure, dependencies, figures_named
from reporting.periods import Period
from tenants.models import Unit, UnitStat, UnitStatJournal, UnitStatTotal, upper_bound
from tenants.stats import covering_keys

# Read as Core tables: every read here states the subtree's range itself (see _read_statement).
STATS, TOTALS, JOURNAL = UnitStat.__table__, UnitStatTotal.__table__, UnitStatJournal.__table__

# Dated rows begin with the first increment ever written; nothing is dated before this year.
FIRST_YEAR = 2000


@dataclass
class Rollup:
    """The figures of one unit (its subtree, or its own rows only for the 本级 line) for one period."""

    unit: Unit
    period: Period
    campaign_id: int | None
    values: dict[str, float | int | None]
    own_level: bool = False

    def __getitem__(self, key: str):
        return self.values.get(key)


def current_campaign_id(unit: Unit) -> int | None:
    """The zeroing campaign the figures speak of: the newest the unit sent or received (as
    core.zeroing.operations.zeroing_campaigns finds them), looked up once per request and unit."""
    ctx = context.current()
    cache = g.setdefault("_rollup_campaigns", {}) if has_request_context() else {}
    if (unit.id, ctx) not in cache:
        cache[(unit.id, ctx)] = db.session.scalar(_campaign_statement(), {"unit_id": unit.id})
    return cache[(unit.id, ctx)]


@lru_cache(maxsize=None)
def _campaign_statement():
    # Built once: every roll-up request asks it (its building was a third of its cost).
    from core.directives.models import Directive, DirectiveKind, DirectiveReceipt
    from core.zeroing.models import PURPOSE

    unit_id = bindparam("unit_id")
    received = select(DirectiveReceipt.directive_id).where(DirectiveReceipt.unit_id == unit_id)
    return (select(Directive.id)
            .where(Directive.purpose == PURPOSE, Directive.kind == DirectiveKind.CAMPAIGN,
                   (Directive.unit_id == unit_id) | Directive.id.in_(received))
            .order_by(Directive.id.desc()).limit(1))


def _keys_for(figures: list[Figure], period: Period, today: date) -> dict[str, list[str]]:
    keys = {"stock": [""], "flow": covering_keys(period.since, period.until),
            "total": [f"{y:04d}" for y in range(FIRST_YEAR, today.year + 2)]}
    return {kind: keys[kind] for kind in {f.kind for f in figures} if kind in keys}


def _key_groups(figures: list[Figure], period: Period, campaign_id: int | None,
                today: date) -> list[tuple[list[str], list[str]]]:
    """(metrics, period keys) groups: each stats metric only at the keys it is read at (a stock at '', a flow
    at the period's keys), metrics read at the same keys together."""
    wanted: dict[str, set[str]] = {}  # stats metric -> the period keys it is read at
    keys_by_kind = _keys_for(figures, period, today)
    for figure in figures:
        for metric in figure.stats_metrics(campaign_id):
            wanted.setdefault(metric, set()).update(keys_by_kind.get(figure.kind, ()))
    groups: dict[frozenset, list[str]] = {}
    for metric, keys in wanted.items():
        if keys:
            groups.setdefault(frozenset(keys), []).append(metric)
    return [(sorted(metrics), sorted(keys)) for keys, metrics in groups.items()]


@dataclass
class _Ask:
    """Sums to read: for each unit of ``subtrees`` its whole subtree's, for each of ``owns`` its own rows',
    of the (metrics, period keys) ``groups``. A unit here is anything with its ``id`` and ``path`` (a Unit,
    or a child's line from ``_child_lines``)."""

    groups: list[tuple[list[str], list[str]]]
    subtrees: list = field(default_factory=list)
    owns: list = field(default_factory=list)


Sums = dict[tuple[str, str], int]  # (stats metric, period key) -> value
WANTED = ("ask", "kind", "unit_id", "metric", "period")


def _wanted_rows(dialect: str):
    """The rows a read asks for, (ask, kind, unit id, metric, period key), made from one JSON parameter
    (an array of arrays). Whatever their number, the statement's text stays the same, so it is
    compiled, converted and planned once (one IN list per key set cost ~6 ms of Python a request: built,
    cache-keyed, expanded and parsed again)."""
    if dialect == "postgresql":
        element, source = "CAST(e ->> {i} AS {type})", "json_array_elements(CAST(:wanted AS JSON)) AS e"
    else:
        element, source = "json_extract(value, '$[{i}]')", "json_each(:wanted)"
    columns = ", ".join(f"{element.format(i=i, type='INTEGER' if name in ('ask', 'unit_id') else 'TEXT')} AS {name}"
                        for i, name in enumerate(WANTED))
    # Materialized: with RLS, PostgreSQL probes an index only with leakproof join conditions, and the
    # conditions on the JSON elements themselves are not; on the CTE's rows they are plain columns.
    return (text(f"SELECT {columns} FROM {source}")
            .columns(ask=Integer, kind=String, unit_id=Integer, metric=String, period=String).cte("w")
            .prefix_with("MATERIALIZED", dialect="postgresql"))


@lru_cache(maxsize=None)
def _read_statement(dialect: str):
    """Totals of the subtrees asked for ('t'), the journal's moves in the base unit's range for the same
    figures ('j', attributed to a subtree in Python), and units' own stats rows ('o'). The base unit's range
    is written into every part: the reads are Core (no ORM auto-filter), so on SQLite it is the isolation;
    on PostgreSQL RLS holds them to the acting unit's subtree as well."""
    w = _wanted_rows(dialect)
    base, low, high = bindparam("base"), bindparam("low"), bindparam("high")

    def matching(table, *on):
        return and_(table.c.metric == w.c.metric, table.c.period == w.c.period, *on)

    totals = (select(w.c.ask, w.c.kind, TOTALS.c.unit_path, TOTALS.c.metric, TOTALS.c.period, TOTALS.c.value)
              .join_from(w, TOTALS, matching(TOTALS, TOTALS.c.unit_id == w.c.unit_id))
              # A prefix test, not the range: a filter on the path that the totals' unique index carries (a
              # range could tempt PostgreSQL into scanning the subtree's rows).
              .where(w.c.kind == "t", func.substr(TOTALS.c.unit_path, 1, func.length(base)) == base))
    own = (select(w.c.ask, w.c.kind, STATS.c.unit_path, STATS.c.metric, STATS.c.period, STATS.c.value)
           .join_from(w, STATS, matching(STATS, STATS.c.unit_id == w.c.unit_id))
           .where(w.c.kind == "o", STATS.c.unit_path >= low, STATS.c.unit_path < high))
    moves = (select(w.c.ask, w.c.kind, JOURNAL.c.unit_path, JOURNAL.c.metric, JOURNAL.c.period,
                    func.sum(JOURNAL.c.delta))
             .join_from(w, JOURNAL, matching(JOURNAL))
             .where(w.c.kind == "j", JOURNAL.c.unit_path >= low, JOURNAL.c.unit_path < high)
             .group_by(w.c.ask, w.c.kind, JOURNAL.c.unit_path, JOURNAL.c.metric, JOURNAL.c.period))
    # Left alone by the ORM auto-filter's hook (a Core statement takes no loader criteria).
    return union_all(totals, own, moves).execution_options(skip_tenant_filter=True)


def _read(base: Unit, asks: list[_Ask]) -> list[dict[tuple[str, str], Sums]]:
    """One statement for every ask (all units in ``base``'s subtree): per ask, {("sub" | "own", unit path):
    sums}. A subtree's sums are its totals row plus the journal's moves in its range."""
    wanted: dict[tuple, None] = {}  # ordered, without repeats
    for n, ask in enumerate(asks):
        for metrics, keys in ask.groups:
            pairs = [(metric, key) for metric in metrics for key in keys]
            for unit in ask.subtrees:
                wanted.update(((n, "t", unit.id, metric, key), None) for metric, key in pairs)
            if ask.subtrees:
                wanted.update(((n, "j", 0, metric, key), None) for metric, key in pairs)
            for unit in ask.owns:
                wanted.update(((n, "o", unit.id, metric, key), None) for metric, key in pairs)
    out: list[dict] = [{} for _ask in asks]
    if not wanted:
        return out
    params = {"wanted": json.dumps(list(wanted)), "base": base.path, "low": base.path, "high": upper_bound(base.path)}
    rows = db.session.execute(_read_statement(db.session.get_bind().dialect.name), params).all()
    subtrees = [{u.path for u in ask.subtrees} for ask in asks]
    for n, source, path, metric, key, value in rows:
        if source == "j":  # a move below: to the subtree asked for that holds it, if any
            path = next((p for p in _prefixes(path) if p in subtrees[n]), None)
            if path is None:
                continue
        sums = out[n].setdefault(("own" if source == "o" else "sub", path), {})
        sums[(metric, key)] = sums.get((metric, key), 0) + int(value or 0)
    return out


def _prefixes(path: str) -> list[str]:
    """'1.5.9.' -> ['1.', '1.5.', '1.5.9.']: the paths of the unit and its ancestors."""
    ids = path.split(".")[:-1]
    return [".".join(ids[:depth]) + "." for depth in range(1, len(ids) + 1)]


def _evaluate(figures: list[Figure], sums: dict, period: Period, campaign_id: int | None,
              today: date) -> dict[str, float | int | None]:
    keys_by_kind = _keys_for(figures, period, today)
    values: dict[str, float | int | None] = {}
    for figure in figures:
        if figure.kind in ("stock", "flow", "total"):
            if figure.per_campaign and not campaign_id:
                values[figure.key] = None
                continue
            values[figure.key] = sum(sums.get((metric, key), 0) for metric in figure.stats_metrics(campaign_id)
                                     for key in keys_by_kind[figure.kind])
        elif figure.kind == "ratio":
            top, bottom = (values.get(part) for part in figure.ratio)
            values[figure.key] = round(100.0 * top / bottom, 1) if top is not None and bottom else None
    return values


def _today(today: date | None) -> date:
    from core import calendar

    return today or calendar.today()


CLEARED = [FIGURES["clearing.cleared"]]  # what coverage asks of each line


def rollup(unit: Unit, period: Period, keys: list[str] | None = None, *, campaign_id: int | None = None,
           today: date | None = None, own_level: bool = False) -> Rollup:
    """The unit's figures for the period: its whole subtree, or with ``own_level`` its own rows only.
    ``keys`` are catalogue keys (default: the headline set); unknown keys are a 422. One statement, with
    the coverage (when asked) in it."""
    today = _today(today)
    asked = figures_named(keys)
    if campaign_id is None and any(f.per_campaign for f in asked):
        campaign_id = current_campaign_id(unit)
    needed = dependencies([f for f in asked if f.kind != "coverage"])
    groups = _key_groups(needed, period, campaign_id, today)
    asks = [_Ask(groups, owns=[unit]) if own_level else _Ask(groups, subtrees=[unit])]
    with_coverage = not own_level and any(f.kind == "coverage" for f in asked)
    if with_coverage:
        children = _child_lines([unit])[unit.id]
        asks.append(_Ask(_key_groups(CLEARED, period, None, today), subtrees=children, owns=[unit]))
    read = _read(unit, asks)
    values = _evaluate(needed, read[0].get(("own" if own_level else "sub", unit.path), {}), period, campaign_id,
                       today)
    if any(f.kind == "coverage" for f in asked):
        values["clearing.coverage"] = (_coverage_from(unit, children, read[1], period, today).share
                                       if with_coverage else None)
    return Rollup(unit, period, campaign_id, {f.key: values.get(f.key) for f in asked}, own_level)


def children_of(unit: Unit) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None))
                                   .order_by(Unit.code, Unit.id)))


def _child_lines(units: list[Unit]) -> dict[int, list]:
    """Each unit's active children as rows of (id, path, name, parent_id): all that sums and coverage ask
    of them, read without loading units (the coverage's units cost more than the figures' statement)."""
    out: dict[int, list] = {u.id: [] for u in units}
    if units:
        for child in db.session.execute(select(Unit.id, Unit.path, Unit.name, Unit.parent_id)
                                        .where(_one_of(Unit.parent_id, list(out)), Unit.archived_at.is_(None))
                                        .order_by(Unit.code, Unit.id)):
            out[child.parent_id].append(child)
    return out


def _one_of(column, values: list):
    return column == values[0] if len(values) == 1 else column.in_(values)


def children_rollup(unit: Unit, period: Period, keys: list[str] | None = None, *, campaign_id: int | None = None,
                    today: date | None = None) -> list[Rollup]:
    """One line per child (its subtree), then the unit's own level (本级), which holds its own cases: all
    of them, and each child's coverage when asked, in one statement."""
    today = _today(today)
    asked = figures_named(keys)
    if campaign_id is None and any(f.per_campaign for f in asked):
        campaign_id = current_campaign_id(unit)
    needed = dependencies([f for f in asked if f.kind != "coverage"])
    children = children_of(unit)
    asks = [_Ask(_key_groups(needed, period, campaign_id, today), subtrees=children, owns=[unit])]
    with_coverage = any(f.kind == "coverage" for f in asked)
    if with_coverage:
        grandchildren = _child_lines(children)
        asks.append(_Ask(_key_groups(CLEARED, period, None, today),
                         subtrees=[g for child in children for g in grandchildren[child.id]], owns=children))
    read = _read(unit, asks)
    lines = []
    for line_unit, own in [(child, False) for child in children] + [(unit, True)]:
        values = _evaluate(needed, read[0].get(("own" if own else "sub", line_unit.path), {}), period, campaign_id,
                           today)
        if with_coverage:
            values["clearing.coverage"] = None if own else _coverage_from(
                line_unit, grandchildren[line_unit.id], read[1], period, today).share
        lines.append(Rollup(line_unit, period, campaign_id, {f.key: values.get(f.key) for f in asked}, own))
    return lines


def ranked(lines: list[Rollup], key: str) -> list[tuple[int, Rollup]]:
    """Children ranked on one figure (best first, by the figure's direction); ties share a rank; the
    本级 line and lines without a value come last, unranked (rank 0)."""
    figure = FIGURES[key]
    scored = [line for line in lines if not line.own_level and line[key] is not None]
    scored.sort(key=lambda line: line[key], reverse=figure.higher_is_better)
    out, rank, previous = [], 0, object()
    for i, line in enumerate(scored, start=1):
        if line[key] != previous:
            rank, previous = i, line[key]
        out.append((rank, line))
    out += [(0, line) for line in lines if line not in scored]
    return out


@dataclass
class Coverage:
    """全覆盖: which child units (and the unit's own level) held at least one clearing in the period."""

    covered: list[str]
    uncovered: list[str]

    @property
    def share(self) -> float | None:
        total = len(self.covered) + len(self.uncovered)
        return round(100.0 * len(self.covered) / total, 1) if total else None


def _coverage_from(unit: Unit, children: list[Unit], read: dict, period: Period, today: date) -> Coverage:
    """The unit's coverage from an ask of the clearings of its children's subtrees and its own rows."""
    from flask_babel import gettext as _

    def done(kind: str, line_unit: Unit) -> bool:
        return bool(_evaluate(CLEARED, read.get((kind, line_unit.path), {}), period, None, today)["clearing.cleared"])

    covered, uncovered = [], []
    for child in children:
        (covered if done("sub", child) else uncovered).append(child.name)
    (covered if done("own", unit) else uncovered).append(_("%(name)s本级", name=unit.name))
    return Coverage(covered, uncovered)


def coverage(unit: Unit, period: Period, *, today: date | None = None) -> Coverage:
    """全覆盖 of the unit: which children (their subtrees) and its own level cleared someone in the period."""
    today = _today(today)
    children = _child_lines([unit])[unit.id]
    read = _read(unit, [_Ask(_key_groups(CLEARED, period, None, today), subtrees=children, owns=[unit])])
    return _coverage_from(unit, children, read[0], period, today)


def trend(unit: Unit, keys: list[str], periods: list[Period], *, campaign_id: int | None = None,
          today: date | None = None) -> dict[str, list]:
    """Figures over consecutive periods (trend lines): one roll-up per period for all the figures."""
    lines = [rollup(unit, period, keys, campaign_id=campaign_id, today=today) for period in periods]
    return {key: [line[key] for line in lines] for key in keys}
