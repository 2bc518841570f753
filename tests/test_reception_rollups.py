"""The figures of the reception room (轮流坐班接访 · 三访合一) roll up like every figure: after random rotas set (working
days given to staff, some left empty, a rest day refused) and generated round-robin at every level of a tree
(township, county, city, province), swaps (对调 and 代班), receptions logged as 接访, 下访 or 约访 (the day's
receptionist by default) and receptions registered as petitions (once), each unit's stats rows equal a recount from
its records (the nightly reconcile finds nothing), every level's figure equals the sum of its children's and of its
subtree's stats rows, and the province's figures equal a count over every reception and every rota day."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.test_rollups import ADDITIVE_KINDS, assert_rollups_agree, subtree_total, _units, period_text

KIND_CODES = ("walk_in", "visit", "appointment")
action = st.one_of(
    st.tuples(st.just("rota"), st.integers(0, 7), st.integers(-3, 1), st.integers(0, 10_000)),
    st.tuples(st.just("generate"), st.integers(0, 7), st.integers(-3, 1), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 7), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("log"), st.integers(0, 7), st.integers(0, 10_000), st.integers(0, 100)),
    st.tuples(st.just("log"), st.integers(0, 7), st.integers(0, 10_000), st.integers(0, 100)),
    st.tuples(st.just("convert"), st.integers(0, 10_000), st.integers(0, 1), st.just(0)),
)


@pytest.fixture
def world(app, factory):
    """The test tree; three staff who take turns in every unit's reception room, and an analyst (not on a rota)."""
    tree = factory.tree()
    ids = [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
           tree.other_town]
    staff = [factory.account(f"rc-staff{n}", [(u, role) for u in ids])
             for n, role in ((1, "leader"), (2, "officer"), (3, "intake"))]
    analyst = factory.account("rc-analyst", [(u, "analyst") for u in ids])
    return {"units": ids, "staff": staff, "analyst": analyst}


def _month(offset: int) -> str:
    from core import calendar
    from core.reception import queries

    return queries.shift_month(queries.this_month(calendar.today()), offset)


def _apply(step, units, world) -> None:
    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.reception import operations as ops
    from core.reception import queries
    from core.reception.models import Reception, ReceptionDuty

    name, a, b, c = step
    today = calendar.today()
    staff = world["staff"]
    try:
        if name == "rota":  # each working day to a staff member or nobody; now and then a rest day (refused)
            unit, month = units[a], _month(b)
            days = {}
            for i, day in enumerate(queries.month_days(month)):
                pick = (c >> (i % 12)) % 5
                if calendar.is_workday(day):
                    days[day.isoformat()] = "" if pick >= 3 else staff[pick]
                elif pick == 4 and c % 7 == 0:
                    days[day.isoformat()] = staff[0]
            if c % 11 == 0:
                days[queries.month_days(month)[0].isoformat()] = world["analyst"]  # not on the rota: refused
            ops.set_rota(unit, {"month": month, "days": days})
        elif name == "generate":  # 轮流坐班 over one to three staff
            ops.generate_rota(units[a], {"month": _month(b), "account_ids": staff[: 1 + c % 3][::(-1) ** c]})
        elif name == "swap":  # 对调 two days on duty, or 代班 of one day by another staff member
            unit = units[a]
            duties = db.session.scalars(select(ReceptionDuty).where(
                ReceptionDuty.unit_id == unit.id, ReceptionDuty.account_id.is_not(None))
                .order_by(ReceptionDuty.day)).all()
            if not duties:
                return
            first = duties[b % len(duties)]
            raw = {"first_day": first.day.isoformat(), "reason": "临时外出办案"}
            if c % 2:
                raw["second_day"] = duties[c % len(duties)].day.isoformat()
            else:
                raw["second_account_id"] = staff[c % 3]
            ops.record_swap(unit, raw)
        elif name == "log":  # the day's receptionist by default (refused on a day nobody is on duty)
            unit = units[a]
            kind = KIND_CODES[b % 3]
            raw = {"kind": kind, "received_on": (today - timedelta(days=c)).isoformat(), "matter": "反映村务不公开",
                   "outcome": "当场解释答复", "place": "某某村" if kind == "visit" or b % 5 == 0 else ""}
            if b % 4:
                raw["staff_id"] = staff[b % 3]
            if b % 3 == 1:
                raw["anonymous"] = True
            else:
                raw.update(person_name="来访群众", person_phone="13800000000")
            ops.log_reception(unit, raw)
        elif name == "convert":
            receptions = db.session.scalars(select(Reception).order_by(Reception.id)).all()
            if not receptions:
                return
            reception = receptions[a % len(receptions)]
            ops.register_petition_from(reception, {"accused_name": "某某", "accused_position": "村委委员",
                                                   "accused_level": "village", "summary": "" if b else "反映村干部问题"})
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=30), period=period_text)
def test_reception_figures_equal_a_recount_and_the_sum_of_the_children_at_every_level(app, world, steps, period):
    from core import calendar
    from core.reception import operations as ops
    from core.reception import queries
    from core.reception.models import Reception, ReceptionDuty, ReceptionRota
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, world["units"])
        for step in steps:
            _apply(step, units, world)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()

        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
            stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
                UnitStat.unit_id == unit.id, UnitStat.metric.like("reception.%"))) if row.value}
            assert stored == {k: v for k, v in ops.recount(unit, today).items() if v}, unit.name

        metrics = ("reception.received", *(f"reception.kind.{k}" for k in KIND_CODES), "reception.converted",
                   ops.COVERED, ops.UNCOVERED)
        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            for metric in metrics:
                own = ops.recount(unit, today).get((metric, ""), 0)
                assert subtree_total(unit, metric) == own + sum(subtree_total(ch, metric) for ch in children), (unit.name, metric)

        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area == "reception" and f.kind in ADDITIVE_KINDS]
        assert set(metrics) <= set(keys)
        assert_rollups_agree(units, asked, keys, today, period)

        # The province's figures are a count over every reception and every working day of every rota month.
        receptions = db.session.scalars(select(Reception)).all()
        province = rollups.rollup(units[0], asked, keys)
        assert province["reception.received"] == sum(1 for r in receptions if asked.contains(r.received_on))
        for kind in KIND_CODES:
            assert province[f"reception.kind.{kind}"] == sum(
                1 for r in receptions if r.kind == kind and asked.contains(r.received_on)), kind
        assert province["reception.converted"] == sum(
            1 for r in receptions if r.converted_on is not None and asked.contains(r.converted_on))
        duties = {(d.unit_id, d.day): d.account_id for d in db.session.scalars(select(ReceptionDuty))}
        rota_days = [(rota.unit_id, day) for rota in db.session.scalars(select(ReceptionRota))
                     for day in queries.working_days(rota.month) if asked.contains(day)]
        assert province[ops.COVERED] == sum(1 for key in rota_days if duties.get(key) is not None)
        assert province[ops.UNCOVERED] == sum(1 for key in rota_days if duties.get(key) is None)
        assert province["reception.rota.days"] == len(rota_days)
        for reception in receptions:  # converted once, linked both ways, the petition received the same day
            if reception.petition_id is not None:
                from core.petitions.models import Petition

                petition = db.session.get(Petition, reception.petition_id)
                assert petition.unit_id == reception.unit_id and petition.received_on == reception.received_on
                assert petition.number == reception.petition_number
        # No duty on a rest day: a rota holds working days only.
        assert all(calendar.is_workday(day) for (_u, day), who in duties.items() if who is not None)
        # The covered and uncovered days are figures of the rota's days, not of today: a month on, the recount
        # (what the nightly reconcile compares) is the same, so the stats rows still agree with no scan.
        later = today + timedelta(days=31)
        for unit in units:
            assert ops.recount(unit, later) == ops.recount(unit, today), unit.name
