"""The figures of villages roll up like every figure: after random villages added, graded (in force at once or
confirmed by the county), plans made, items closed out, monthly reports logged, regrades proposed and confirmed and
villages archived at the townships of two counties, each unit's stats rows equal a recount from its records (the
nightly reconcile finds nothing) and every level's figure equals the sum of its own rows and its children's."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.test_rollups import _units, tree_units  # noqa: F401 (the fixture)

METRICS = ("villages.count", "villages.grade.a", "villages.grade.b", "villages.grade.c", "villages.c_with_plan",
           "villages.plan_items.open", "villages.plan_items.overdue", "villages.plan_items.closed",
           "villages.lifted_from_c", "villages.monthly_reports.missed")
TOWNS = (3, 4, 7)  # indexes of tree_units: 东镇, 西镇 (甲县), 南镇 (乙县)
action = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 2), st.integers(0, 100)),
    st.tuples(st.just("grade"), st.integers(0, 10_000), st.integers(40, 100)),
    st.tuples(st.just("plan"), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("close"), st.integers(0, 10_000), st.integers(0, 30)),
    st.tuples(st.just("report"), st.integers(0, 10_000), st.integers(0, 3)),
    st.tuples(st.just("regrade"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("archive"), st.integers(0, 10_000), st.just(0)),
)


def _pick(model, a):
    rows = db.session.scalars(select(model).order_by(model.id)).all()
    return rows[a % len(rows)] if rows else None


def _apply(step, units, counter) -> None:
    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.villages import operations as ops
    from core.villages.models import GradingRound, Village, VillageGrading, VillagePlan, VillagePlanItem

    name, a, b = step
    today = calendar.today()
    try:
        if name == "add":
            town = units[TOWNS[a]]
            counter[0] += 1
            ops.add_village(town, {"name": f"测试村{counter[0]}", "code": f"{town.code[:9]}{counter[0] + 100:03d}",
                                   "kind": ("village", "community")[b % 2]})
        elif name == "grade" and (village := _pick(Village, a)) is not None:
            town = db.session.get(type(units[0]), village.unit_id)
            county = db.session.get(type(units[0]), town.parent_id)
            round_ = db.session.scalar(select(GradingRound).where(GradingRound.unit_id == county.id,
                                                                  GradingRound.state == "open"))
            if round_ is None or db.session.scalar(select(VillageGrading.id).where(
                    VillageGrading.village_id == village.id, VillageGrading.round_id == round_.id)):
                round_ = ops.open_round(county, {"name": "研判", "period": f"第{counter[0]}期{a}",
                                                 "needs_confirmation": bool(a % 2)})
            grading = ops.start_grading(village, round_)
            ops.score(grading, {c["key"]: {"score": b} for c in round_.criteria})
            ops.submit(grading, on=today - timedelta(days=100))
            if grading.state == "proposed" and b % 3:
                ops.confirm(grading, county, on=today - timedelta(days=100))
        elif name == "plan" and (village := _pick(Village, a)) is not None:
            ops.create_plan(village, {"party_secretary": "书记", "discipline_secretary": "纪委书记",
                                      "issued_on": (today - timedelta(days=b)).isoformat(),
                                      "items": [{"problem": "问题", "measure": "措施", "responsible": "联村干部",
                                                 "deadline": (today - timedelta(days=b) + timedelta(days=d)).isoformat()}
                                                for d in (10, 60)]})
        elif name == "close" and (item := _pick(VillagePlanItem, a)) is not None:
            ops.close_item(item, {"evidence": "整改到位", "closed_on": max(item.plan.issued_on,
                                                                          today - timedelta(days=b)).isoformat()})
        elif name == "report" and (plan := _pick(VillagePlan, a)) is not None:
            day = max(plan.issued_on, today - timedelta(days=30 * b))
            ops.log_report(plan, {"month": day.strftime("%Y-%m"), "heard_on": day.isoformat(), "heard_by": "书记",
                                  "content": "汇报整改情况"})
        elif name == "regrade" and (village := _pick(Village, a)) is not None:
            grading = ops.propose_regrade(village, ("A", "B")[b], "已全部销号")
            ops.confirm(grading, db.session.get(type(units[0]), grading.county_id))
        elif name == "archive" and (village := _pick(Village, a)) is not None:
            ops.archive_village(village, "撤并")
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=30))
def test_village_figures_equal_a_recount_and_the_sum_of_the_children(app, tree_units, steps):
    from core import calendar
    from core.villages import operations as ops
    from reporting import reconcile
    from tenants.models import Unit, UnitStat, upper_bound

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, tree_units)
        counter = [0]
        for step in steps:
            _apply(step, units, counter)
        today = calendar.today()
        ops.scan(today)
        db.session.commit()
        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name

        def subtree(unit, metric):
            return db.session.scalar(select(db.func.coalesce(db.func.sum(UnitStat.value), 0)).where(
                UnitStat.metric == metric, UnitStat.period == "", UnitStat.unit_path >= unit.path,
                UnitStat.unit_path < upper_bound(unit.path)))

        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            for metric in METRICS:
                own = db.session.scalar(select(db.func.coalesce(db.func.sum(UnitStat.value), 0)).where(
                    UnitStat.metric == metric, UnitStat.period == "", UnitStat.unit_id == unit.id))
                assert subtree(unit, metric) == own + sum(subtree(c, metric) for c in children), (unit.name, metric)
                counted = ops.recount(unit, today).get((metric, ""), 0) if unit.level == "township" else 0
                assert own == counted, (unit.name, metric)
