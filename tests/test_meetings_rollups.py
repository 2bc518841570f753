"""The figures of on-site meetings (现场办公会) roll up like every figure: after random inspection tours of two
counties, on-site meetings in their villages, issues logged (answered on the spot, registered with a county
department or with a township), issues done by the county or by the township they are registered with, categories
added and archived, deadlines moved, tours' periods corrected and the overdue scan, each unit's stats rows equal a
recount from its records (the nightly reconcile finds nothing), every level's figure (township, county, city,
province) equals the sum of its children's and of its subtree's stats rows, and the province's figures equal a
count over every record of the tree."""
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
    st.tuples(st.just("tour"), st.integers(0, 1), st.integers(0, 120), st.integers(5, 90)),
    st.tuples(st.just("meeting"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 90)),
    st.tuples(st.just("issue"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 40)),
    st.tuples(st.just("issue"), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 40)),
    st.tuples(st.just("resolve"), st.integers(0, 10_000), st.integers(0, 1), st.integers(0, 40)),
    st.tuples(st.just("deadline"), st.integers(0, 10_000), st.just(0), st.integers(0, 60)),
    st.tuples(st.just("retour"), st.integers(0, 10_000), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.just("category"), st.integers(0, 1), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("scan"), st.just(0), st.just(0), st.just(0)),
)


@pytest.fixture
def world(app, factory):
    """The test tree, villages in each township, the counties' tour staff and the townships' leaders."""
    from core.villages import operations as village_ops
    from tenants.models import Unit

    tree = factory.tree()
    ids = [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
           tree.other_town]
    staff = factory.account("mr-staff", [(tree.county, "officer"), (tree.other_county, "leader")])
    town_leader = factory.account("mr-town", [(t, "leader") for t in (tree.town, tree.town2, tree.other_town)])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for town_id in (tree.town, tree.town2, tree.other_town):
            town = db.session.get(Unit, town_id)
            for n in (1, 2):
                village_ops.add_village(town, {"name": f"{town.name}{n}村", "code": f"{town.code}{200 + n:03d}",
                                               "kind": "village"})
        db.session.commit()
    return {"units": ids, "staff": staff, "town_leader": town_leader}


def _pick(model, a):
    rows = db.session.scalars(select(model).order_by(model.id)).all()
    return rows[a % len(rows)] if rows else None


def _apply(step, units, world, counter) -> None:
    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.identity.models import Account
    from core.meetings import operations as ops
    from core.meetings import queries
    from core.meetings.models import InspectionTour, MeetingIssue, OnsiteMeeting
    from tenants.models import Share

    name, a, b, c = step
    today = calendar.today()
    try:
        if name == "tour":
            county = units[COUNTIES[a]]
            villages = [v["id"] for v in queries.township_villages(county)]
            counter[0] += 1
            starts = today - timedelta(days=b)
            ops.create_tour(county, {"name": f"第{counter[0]}轮巡察", "leader_name": "王组长", "members": "李组员、赵组员",
                                     "account_ids": [world["staff"]], "starts_on": starts.isoformat(),
                                     "ends_on": (starts + timedelta(days=c)).isoformat(),
                                     "village_ids": villages[: 1 + b % len(villages)]})
        elif name == "meeting" and (tour := _pick(InspectionTour, a)) is not None:
            village = tour.villages[b % len(tour.villages)]
            span = (min(tour.ends_on, today) - tour.starts_on).days + 1  # a day of the tour, not ahead of today
            ops.create_meeting(tour, {"village_id": village["id"],
                                      "held_on": (tour.starts_on + timedelta(days=c % span)).isoformat(),
                                      "place": "村党群服务中心", "leaders": ["王组长", "乡镇党委书记"],
                                      "departments": "县交通运输局、县自然资源局"})
        elif name == "issue" and (meeting := _pick(OnsiteMeeting, a)) is not None:
            county = units[COUNTIES[0]] if meeting.unit_id == units[COUNTIES[0]].id else units[COUNTIES[1]]
            categories = queries.categories_of(county) or queries.categories_of(county, archived=True)
            raw = {"category": categories[b % len(categories)].code,  # an archived one is refused "summary": "群众反映的问题",
                   "named": bool(b % 2), "villager_name": "张村民"}
            way = b % 3
            if way == 0:
                raw.update(outcome="answered", answer="当场答复：已列入计划")
            else:
                raw.update(outcome="registered", deadline=(meeting.held_on + timedelta(days=c)).isoformat())
                if way == 1:
                    raw.update(body_kind="department", body_name="县交通运输局")
                else:
                    towns = queries.townships_of(county)
                    raw.update(body_kind="township", body_unit_id=towns[b % len(towns)].id)
            ops.log_issue(meeting, raw)
        elif name == "resolve" and (issue := _pick(MeetingIssue, a)) is not None:
            done_on = max(issue.raised_on, today - timedelta(days=c))
            share = None
            if b and issue.body_unit_id is not None:  # the township it is registered with marks it done
                share = db.session.scalar(select(Share).where(
                    Share.object_type == "meeting_issues", Share.object_id == issue.id,
                    Share.grantee_unit_id == issue.body_unit_id, Share.revoked_at.is_(None)))
                assert share is not None
            account = db.session.get(Account, world["town_leader"] if share is not None else world["staff"])
            ops.resolve_issue(issue, {"evidence": "已整改到位", "done_on": done_on.isoformat()}, account, share=share)
        elif name == "deadline" and (issue := _pick(MeetingIssue, a)) is not None:
            ops.change_deadline(issue, {"deadline": (issue.raised_on + timedelta(days=c)).isoformat(),
                                        "reason": "涉及多部门，延期办理"})
        elif name == "retour" and (tour := _pick(InspectionTour, a)) is not None:  # its period moved
            ops.update_tour(tour, {"name": tour.name, "leader_name": tour.leader_name, "members": tour.members,
                                   "account_ids": tour.account_ids, "village_ids": [v["id"] for v in tour.villages],
                                   "starts_on": (tour.starts_on - timedelta(days=b)).isoformat(),
                                   "ends_on": (tour.ends_on - timedelta(days=c)).isoformat()})
        elif name == "category":
            county = units[COUNTIES[a]]
            if c:
                ops.add_category(county, {"name": f"新类别{b % 3}"})
            else:
                codes = [cat.code for cat in queries.categories_of(county)]
                if codes:
                    ops.archive_category(county, codes[b % len(codes)])
        elif name == "scan":
            ops.scan(today)
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=40), period=period_text)
def test_meeting_figures_equal_a_recount_and_the_sum_of_the_children_at_every_level(app, world, steps, period):
    from core import calendar
    from core.meetings import operations as ops
    from core.meetings.models import MeetingIssue, OnsiteMeeting
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, world["units"])
        counter = [db.session.scalar(select(db.func.count()).select_from(OnsiteMeeting))]
        for step in steps:
            _apply(step, units, world, counter)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()

        # Each unit's stats rows are what its records say (stocks, dated flows and their coarser keys).
        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
            stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
                UnitStat.unit_id == unit.id, UnitStat.metric.like("meetings.%"))) if row.value}
            assert stored == {k: v for k, v in ops.recount(unit, today).items() if v}, unit.name

        # Every level's own rows plus its children's subtrees make its subtree, for every metric the area wrote
        # (the counties' own categories included).
        metrics = set(db.session.scalars(select(UnitStat.metric).where(UnitStat.metric.like("meetings.%"))))

        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            for metric in metrics:
                own = ops.recount(unit, today).get((metric, ""), 0)
                assert subtree_total(unit, metric) == own + sum(subtree_total(ch, metric) for ch in children), (unit.name, metric)

        # The figures as the dashboards read them, for the period asked: before and after the journal's fold.
        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area == "meetings" and f.kind in ADDITIVE_KINDS]
        assert keys
        assert_rollups_agree(units, asked, keys, today, period)

        # The province's figures equal a count over every record of the tree.
        issues = db.session.scalars(select(MeetingIssue)).all()
        meetings = db.session.scalars(select(OnsiteMeeting)).all()
        province = rollups.rollup(units[0], asked, keys)
        assert province["meetings.held"] == sum(1 for m in meetings if asked.contains(m.held_on))
        assert province["meetings.issues"] == sum(1 for i in issues if asked.contains(i.raised_on))
        assert province["meetings.issues.answered_on_site"] == sum(
            1 for i in issues if i.outcome == "answered" and asked.contains(i.raised_on))
        assert province["meetings.issues.resolved"] == sum(
            1 for i in issues if i.state == "done" and asked.contains(i.done_on))
        assert province["meetings.issues.open"] == sum(1 for i in issues if i.state == "open")
        assert province["meetings.issues.overdue"] == sum(1 for i in issues if i.state == "open"
                                                          and i.deadline < today)
        for town in (units[3], units[4], units[7]):  # a township holds no meeting figure of its own
            assert rollups.rollup(town, asked, keys)["meetings.issues"] == 0

        # A month on, the scan's overdue figure of each county is again what its records say that day.
        later = today + timedelta(days=31)
        ops.scan(later)
        db.session.commit()
        for county in (units[2], units[6]):
            stored = db.session.scalar(select(UnitStat.value).where(
                UnitStat.unit_id == county.id, UnitStat.metric == "meetings.issues.overdue", UnitStat.period == ""))
            assert (stored or 0) == ops.recount(county, later).get(("meetings.issues.overdue", ""), 0)
            assert (stored or 0) == sum(1 for i in issues if i.unit_id == county.id and i.state == "open"
                                        and i.deadline < later)
        assert rollups.rollup(units[0], asked, ["meetings.issues.overdue"])["meetings.issues.overdue"] == sum(
            1 for i in issues if i.state == "open" and i.deadline < later)
        ops.scan(today)  # back to today for the next example (the database is kept between them)
        db.session.commit()
