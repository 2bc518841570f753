"""The figures of the ledgers (18项台账) roll up like every figure: after random kept rows entered and imported at the
townships of a tree with various dates, spot checks drawn by the counties (findings recorded and changed, concluded,
a 不合格 finding turned into a rectification order), the catalogue changed by the province or a city (a kept ledger
added or archived) and time moved forward (the daily refresh runs, ledgers go stale), each unit's stats rows equal a
recount from its records (the nightly reconcile finds nothing) and its completeness figures equal what
``queries.completeness_by_unit`` says that day, every level (township, county, city, province) equals its own rows
plus its children's subtrees, and the province's figures equal a count over every record of the tree."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.clock import utcnow
from core.extensions import db
from tests.conftest import run_queued_jobs
from tests.test_rollups import ADDITIVE_KINDS, assert_rollups_agree, subtree_total, _units, period_text

TOWNS, COUNTIES, CATALOGUES = (3, 4, 7), (2, 6), (0, 1, 5)  # indexes of the world's units
action = st.one_of(
    st.tuples(st.just("row"), st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 400)),
    st.tuples(st.just("row"), st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 60)),
    st.tuples(st.just("import"), st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 120)),
    st.tuples(st.just("draw"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("draw"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("finding"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 2)),
    st.tuples(st.just("finding"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 2)),
    st.tuples(st.just("finding"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 2)),
    st.tuples(st.just("conclude"), st.integers(0, 10_000), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("conclude"), st.integers(0, 10_000), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("rectify"), st.integers(0, 10_000), st.integers(1, 30), st.just(0)),
    st.tuples(st.just("catalogue"), st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("later"), st.integers(1, 45), st.just(0), st.just(0)),
)


@pytest.fixture
def world(app, factory):
    """The test tree; the counties' checkers (a leader and an officer of each), the townships' officers, and the
    clock's advance so far (kept across examples: time never runs back over the same database)."""
    tree = factory.tree()
    ids = [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
           tree.other_town]
    checkers = [factory.account("lr-leader", [(tree.county, "leader"), (tree.other_county, "leader")]),
                factory.account("lr-officer", [(tree.county, "officer"), (tree.other_county, "officer")])]
    clerk = factory.account("lr-clerk", [(t, "officer") for t in (tree.town, tree.town2, tree.other_town)])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core import calendar
        from core.ledgers import operations as ops

        ops.refresh_townships(calendar.today())  # the daily refresh has run over the tree
        db.session.commit()
    return {"app": app, "units": ids, "checkers": checkers, "clerk": clerk, "advance": [timedelta(0)]}


def _as(account_id):
    return context.acting(context.maintenance_context(account_id=account_id), db.session)


def _pick(model, a, *where):
    rows = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
    return rows[a % len(rows)] if rows else None


def _values(definition, n: int) -> dict:
    """A valid row of the kept ledger ``definition`` (every typed column filled), varied by ``n``."""
    values = {}
    for c in definition.columns:
        if c["type"] == "choice":
            values[c["label"]] = c["choices"][n % len(c["choices"])]
        elif c["type"] == "number":
            values[c["label"]] = n % 90 + 1
        elif c["type"] == "date":
            values[c["label"]] = "2026-03-18"
        else:
            values[c["label"]] = f"第{n}项内容"
    return values


def _kept(town):
    from core.ledgers import queries

    return [d for d in queries.catalogue_of(town) if d.kind == "kept"]


def _apply(step, units, world, clock) -> None:
    from openpyxl import Workbook

    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.ledgers import operations as ops
    from core.ledgers import queries
    from core.ledgers.models import LedgerRow, SpotCheck, SpotFinding

    name, a, b, c = step
    today = calendar.today()
    try:
        if name == "row" and (kept := _kept(town := units[TOWNS[a]])):
            definition = kept[b % len(kept)]
            with _as(world["clerk"]):
                ops.add_row(town, definition, {**_values(definition, b), "entry_date": today - timedelta(days=c)})
        elif name == "import" and (kept := _kept(town := units[TOWNS[a]])):
            definition = kept[b % len(kept)]
            book = Workbook()
            sheet = book.active
            labels = [col["label"] for col in definition.columns]
            sheet.append(["日期", *labels])
            for i in range(1 + b % 3):
                values = _values(definition, b + i)
                sheet.append([(today - timedelta(days=(c + 7 * i) % 400)).isoformat(), *[values[x] for x in labels]])
            if b % 5 == 0:  # one refused row: nothing of the file is saved
                sheet.append(["2026-13-45", *["" for _x in labels]])
            data = io.BytesIO()
            book.save(data)
            with _as(world["clerk"]):
                dry = ops.import_rows(town, definition, data.getvalue(), dry_run=True)
                assert dry["created"] == 0
                done = ops.import_rows(town, definition, data.getvalue(), dry_run=False)
                assert done["created"] == (0 if dry["refused"] else dry["valid"])
        elif name == "draw":  # a township's kept ledger that has rows (or none in the period: refused)
            county = units[COUNTIES[a % 2]]
            towns = queries.townships_below(county)
            town = towns[b % len(towns)]
            kept = {d.code for d in _kept(town)}
            codes = sorted(set(db.session.scalars(select(LedgerRow.code).where(LedgerRow.unit_id == town.id))) & kept)
            if not codes:
                return
            raw = {"township_id": town.id, "code": codes[(a // 2) % len(codes)],
                   "checker_id": world["checkers"][b % 2],
                   "period_start": (today - timedelta(days=c + 120 * (b % 4))).isoformat(),
                   "period_end": (today - timedelta(days=c % 7)).isoformat(),
                   "ends_on": (today + timedelta(days=b % 40)).isoformat()}
            if b % 3:
                raw["count"] = 1 + b % 2
            else:
                raw["positions"] = [1, 1 + b % 2]
            with _as(world["checkers"][(b + a) % 2]):
                ops.draw_check(county, raw)
        elif name == "finding" and (check := _pick(SpotCheck, a, SpotCheck.state == "open")) is not None:
            row_id = check.row_ids[b % len(check.row_ids)]
            raw = {"row_id": row_id, "verdict": ("pass", "fail", "fail")[c]}
            if c == 1 or b % 4:
                raw["problem"] = "缺少签到表"  # a 不合格 without its problem is refused
            with _as(check.checker_id if b % 7 else world["checkers"][0]):  # not the checker: refused
                ops.record_finding(check, raw)
        elif name == "conclude" and (check := _pick(SpotCheck, a, SpotCheck.state == "open")) is not None:
            with _as(check.checker_id):
                ops.conclude(check, {"result": ("qualified", "unqualified")[b], "conclusion": "抽查结论"})
        elif name == "rectify" and (finding := _pick(SpotFinding, a, SpotFinding.verdict == "fail")) is not None:
            with _as(world["checkers"][0]):
                ops.issue_rectification(finding, {"due_on": (today + timedelta(days=b)).isoformat(),
                                                  "requirement": "补齐材料"})
        elif name == "catalogue":  # a kept ledger added, or one archived, by the province or a city
            unit = units[CATALOGUES[a]]
            if c:
                ops.define_ledger(unit, {"title": f"自定台账{b % 4}", "period": ("weekly", "monthly", "yearly")[b % 3],
                                         "columns": [{"label": "事项", "type": "text", "required": True},
                                                     {"label": "类别", "type": "choice", "choices": "甲、乙"}]})
            else:
                live = [d.code for d in queries.catalogue_of(unit)]
                ops.archive_definition(unit, live[b % len(live)])
        elif name == "later":  # days pass; the daily refresh of every township's completeness runs
            clock.shift(timedelta(days=a))
            world["advance"][0] += timedelta(days=a)
            ops.refresh_townships(calendar.today())
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()
    if name == "catalogue":  # the recount of the townships below, queued by the change (inline: done already)
        run_queued_jobs(world["app"])


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=30), period=period_text)
def test_ledger_figures_equal_a_recount_and_the_sum_of_the_children_at_every_level(app, world, steps, period):
    from core import calendar, timefmt
    from core.ledgers import operations as ops
    from core.ledgers import queries
    from core.ledgers.models import LedgerRow, SpotCheck, SpotFinding
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStat

    with time_machine.travel(utcnow() + world["advance"][0], tick=True) as clock, app.app_context(), \
            context.acting(context.maintenance_context(), db.session):
        units = _units(app, world["units"])
        for step in steps:
            _apply(step, units, world, clock)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()
        units = _units(app, world["units"])

        # Each unit's stats rows are what its records say; a township's completeness is what its ledgers say today.
        completeness = queries.completeness_by_unit(units, today)
        assert set(completeness) == {units[i].id for i in TOWNS}
        for unit in units:
            # The ledgers' own figures (a rectification order's overdue figure is supervision's, set by its refresh,
            # which this test's moved clock does not run).
            assert [d for d in reconcile.reconcile_unit(unit, today) if d.metric.startswith("ledgers.")] == [], unit.name
            for prefix, recount in (("ledgers.rows", ops.recount_rows), ("ledgers.spot", ops.recount_spot)):
                stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
                    UnitStat.unit_id == unit.id, UnitStat.metric.like(f"{prefix}%"))) if row.value}
                assert stored == {k: v for k, v in recount(unit, today).items() if v}, (unit.name, prefix)
            stored = {row.metric: row.value for row in db.session.scalars(select(UnitStat).where(
                UnitStat.unit_id == unit.id, UnitStat.metric.in_(ops.COMPLETENESS), UnitStat.period == ""))}
            expected = ops.completeness_figures(unit, today)
            assert {k: v for k, v in stored.items() if v} == {k: v for k, v in expected.items() if v}, unit.name
            if unit.id in completeness:
                got = completeness[unit.id]
                assert [stored.get(f"ledgers.{k}", 0) for k in ("current", "stale", "missing", "total")] == [
                    got["current"], got["stale"], got["missing"], got["total"]], unit.name
                assert stored.get("ledgers.complete_units", 0) == int(got["total"] > 0
                                                                      and got["current"] == got["total"])
                assert stored.get("ledgers.townships", 0) == 1

        # Every level's own rows plus its children's subtrees make its subtree, for every metric the area wrote.
        metrics = set(db.session.scalars(select(UnitStat.metric).where(UnitStat.metric.like("ledgers.%"))))

        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            own = {**ops.recount(unit, today),
                   **{(k, ""): v for k, v in ops.completeness_figures(unit, today).items()}}
            for metric in metrics:
                assert subtree_total(unit, metric) == own.get((metric, ""), 0) + sum(subtree_total(ch, metric) for ch in children), \
                    (unit.name, metric)

        # The figures as the dashboards read them, for the period asked: before and after the journal's fold.
        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area == "ledgers" and f.kind in ADDITIVE_KINDS]
        assert {"ledgers.rows", "ledgers.spot_checks", "ledgers.spot_findings.failed", "ledgers.spot_checked",
                *ops.COMPLETENESS} <= set(keys)
        assert_rollups_agree(units, asked, keys, today, period)

        # The province's figures equal a count over every record of the tree, and its townships' ledgers today.
        rows = db.session.scalars(select(LedgerRow)).all()
        checks = db.session.scalars(select(SpotCheck)).all()
        findings = db.session.scalars(select(SpotFinding)).all()
        province = rollups.rollup(units[0], asked, keys)
        assert province["ledgers.rows"] == sum(1 for r in rows if asked.contains(r.entry_date))
        assert province["ledgers.spot_checks"] == sum(1 for ch in checks if asked.contains(ch.starts_on))
        assert province["ledgers.spot_checked"] == province["ledgers.spot_checks"]
        assert province["ledgers.spot_checks.unqualified"] == sum(
            1 for ch in checks if ch.result == "unqualified" and asked.contains(ch.concluded_on))
        assert province["ledgers.spot_findings.failed"] == sum(
            1 for f in findings if f.verdict == "fail" and asked.contains(timefmt.local_date(f.created_at)))
        for state in ("current", "stale", "missing", "total"):
            assert province[f"ledgers.{state}"] == sum(got[state] for got in completeness.values()), state
        assert province["ledgers.complete_units"] == sum(
            1 for got in completeness.values() if got["total"] and got["current"] == got["total"])
        assert province["ledgers.townships"] == len(completeness)
        for check in checks:  # a finding only on a drawn row; a concluded check has one for each
            assert {f.row_id for f in check.findings} <= set(check.row_ids)
            if check.state == "concluded":
                assert len(check.findings) == len(check.row_ids)
