"""The figures of the county offices' guidance of their townships (联系指导) roll up like every figure: after random
offices created (refused outside a county), their members and townships changed (a township taken over from another
office), offices archived, regular meetings (定期例会) and guidance visits (督查指导) logged with or without problems
(refused for a township the office does not guide or staff not of the office) and problems raised as rectification
orders (once), each unit's stats rows equal a recount from its records (the nightly reconcile finds nothing), every
level's figure (township, county, city, province) equals the sum of its children's and of its subtree's stats rows,
and the province's figures equal a count over every meeting, visit and problem."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.test_rollups import ADDITIVE_KINDS, assert_rollups_agree, subtree_total, _units, period_text

COUNTIES = (2, 6)  # indexes of the world's units: 甲县 (东镇, 西镇), 乙县 (南镇)
action = st.one_of(
    st.tuples(st.just("office"), st.sampled_from((2, 6, 2, 6, 0, 1, 3)), st.integers(0, 10_000),
              st.integers(0, 10_000)),
    st.tuples(st.just("members"), st.integers(0, 10_000), st.integers(0, 7), st.just(0)),
    st.tuples(st.just("townships"), st.integers(0, 10_000), st.integers(0, 7), st.just(0)),
    st.tuples(st.just("archive"), st.integers(0, 10_000), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("meeting"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("visit"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("visit"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("raise"), st.integers(0, 10_000), st.integers(0, 30), st.just(0)),
)


@pytest.fixture
def world(app, factory):
    """The test tree; three officers of each county (an office's members are among them)."""
    tree = factory.tree()
    ids = [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
           tree.other_town]
    staff = {tree.county: [factory.account(f"gr-jia{n}", [(tree.county, "officer")]) for n in (1, 2, 3)],
             tree.other_county: [factory.account(f"gr-yi{n}", [(tree.other_county, "officer")]) for n in (1, 2, 3)]}
    return {"units": ids, "staff": staff}


def _pick(model, a):
    rows = db.session.scalars(select(model).order_by(model.id)).all()
    return rows[a % len(rows)] if rows else None


def _some(items: list[int], b: int) -> list[int]:
    """Those of ``items`` the bits of ``b`` choose; the first when none is chosen, but none at all one time in five."""
    chosen = [item for i, item in enumerate(items) if b >> i & 1]
    return chosen or ([] if b % 5 == 4 else items[:1])


def _apply(step, units, world, counter) -> None:
    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.guidance import operations as ops
    from core.guidance import queries
    from core.guidance.models import GuidanceOffice, GuidanceVisit

    name, a, b, c = step
    today = calendar.today()
    # An archived office is 404 to every page but its visits' (the county's leader still raises their problems).
    offices = db.session.scalars(select(GuidanceOffice).where(GuidanceOffice.archived_at.is_(None))
                                 .order_by(GuidanceOffice.id)).all()
    if name in ("meeting", "visit"):  # mostly an office guiding a township now (another one is refused)
        offices = [o for o in offices if queries.current_townships(o)] or offices
    office = offices[a % len(offices)] if offices else None
    try:
        if name == "office":  # mostly at a county; refused anywhere else
            unit = units[a]
            counter[0] += 1
            towns = [t.id for t in queries.townships_of(unit)] if unit.level == "county" else []
            staff = world["staff"].get(unit.id, [])
            ops.create_office(unit, {"name": f"第{counter[0]}纪检监察室", "duties": "联系指导乡镇",
                                     "member_account_ids": _some(staff, b),
                                     "township_ids": _some(towns, c)})
        elif name == "raise":
            if (visit := _pick(GuidanceVisit, a)) is None:
                return
            ops.raise_problems(visit, {"due_on": (today + timedelta(days=b)).isoformat()})
        elif office is None:
            return
        elif name == "members":
            ops.set_members(office, {"member_account_ids": _some(world["staff"][office.unit_id], b)})
        elif name == "townships":  # taken over from the office guiding them before
            county = next(u for u in units if u.id == office.unit_id)
            towns = [t.id for t in queries.townships_of(county)]
            ops.set_townships(office, {"township_ids": _some(towns, b)})
        elif name == "archive" and b == 0:  # one in three: the office stops
            ops.archive_office(office)
        elif name == "meeting":  # now and then a township the office does not guide (refused)
            towns = [t.id for t in queries.current_townships(office)]
            chosen = towns[: 1 + b % 3] if b % 5 else [units[3 + b % 5].id]
            ops.log_meeting(office, {"held_on": (today - timedelta(days=c)).isoformat(), "place": "县纪委会议室",
                                     "attendees": "王主任、李副主任", "township_ids": chosen,
                                     "notes": "通报信访举报受理情况", "decisions": "按月报送台账\n加强初核"})
        elif name == "visit":  # now and then staff not of the office, or a township it does not guide (refused)
            members = [m.account_id for m in queries.current_members(office)]
            towns = [t.id for t in queries.current_townships(office)] or [units[3].id]
            ops.log_visit(office, {"visited_on": (today - timedelta(days=c)).isoformat(),
                                   "township_id": towns[b % len(towns)],
                                   "staff_account_ids": (members[: 1 + b % 2] if b % 7
                                                         else world["staff"][office.unit_id][:1]),
                                   "checked": "台账记录、谈话室使用", "notes": "总体规范",
                                   "problems": [{"description": f"问题{n}", "requirement": "限期整改"}
                                                for n in range(b % 4 if b % 5 == 0 else 1 + b % 3)]})
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=40), period=period_text)
def test_guidance_figures_equal_a_recount_and_the_sum_of_the_children_at_every_level(app, world, steps, period):
    from core import calendar
    from core.guidance import operations as ops
    from core.guidance.models import GuidanceMeeting, GuidanceOffice, GuidanceProblem, GuidanceVisit
    from core.supervision.models import SupervisionItem
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, world["units"])
        counter = [db.session.scalar(select(db.func.count()).select_from(GuidanceOffice))]
        for step in steps:
            _apply(step, units, world, counter)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()

        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
            stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
                UnitStat.unit_id == unit.id, UnitStat.metric.like("guidance.%"))) if row.value}
            assert stored == {k: v for k, v in ops.recount(unit, today).items() if v}, unit.name

        metrics = ("guidance.meetings_held", "guidance.visits_made", "guidance.problems_found",
                   "guidance.problems_raised")
        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            for metric in metrics:
                own = ops.recount(unit, today).get((metric, ""), 0)
                assert subtree_total(unit, metric) == own + sum(subtree_total(ch, metric) for ch in children), (unit.name, metric)

        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area == "guidance" and f.kind in ADDITIVE_KINDS]
        assert set(keys) == set(metrics)
        assert_rollups_agree(units, asked, keys, today, period)

        # The province's figures are a count over every meeting, visit and problem of the tree.
        meetings = db.session.scalars(select(GuidanceMeeting)).all()
        visits = {v.id: v for v in db.session.scalars(select(GuidanceVisit))}
        problems = db.session.scalars(select(GuidanceProblem)).all()
        province = rollups.rollup(units[0], asked, keys)
        assert province["guidance.meetings_held"] == sum(1 for m in meetings if asked.contains(m.held_on))
        assert province["guidance.visits_made"] == sum(1 for v in visits.values() if asked.contains(v.visited_on))
        assert province["guidance.problems_found"] == sum(
            1 for p in problems if asked.contains(visits[p.visit_id].visited_on))
        assert province["guidance.problems_raised"] == sum(
            1 for p in problems if p.raised_on is not None and asked.contains(p.raised_on))
        for town in (units[3], units[4], units[7]):  # a township holds no guidance figure of its own
            assert all(rollups.rollup(town, asked, keys)[key] == 0 for key in keys), town.name
        for problem in problems:  # raised once, as a rectification order from the county to the visited township
            assert (problem.item_id is None) == (problem.raised_on is None)
            if problem.item_id is not None:
                item = db.session.get(SupervisionItem, problem.item_id)
                visit = visits[problem.visit_id]
                assert (item.unit_id, item.recipient_unit_id, item.kind) == (visit.unit_id, visit.township_id,
                                                                      "rectification")
