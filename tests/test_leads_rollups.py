"""The figures of leads and cases roll up like every figure: after random registrations, disposals, cases opened,
reviewed, decided and executed at random units of a tree, every level's figure equals the sum of its children's
and the plain sum of its subtree's stats rows, and each unit's stats rows equal a recount from its records."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.test_rollups import ADDITIVE_KINDS, _path_range_sum, _units, period_text, tree_units  # noqa: F401

WAYS = ("talk", "verify", "verify", "shelve", "close")
action = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 7), st.integers(0, 120)),
    st.tuples(st.just("dispose"), st.integers(0, 10_000), st.integers(0, len(WAYS) - 1)),
    st.tuples(st.just("verify_to_file"), st.integers(0, 10_000), st.integers(0, 2)),
    st.tuples(st.just("open_case"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("advance_case"), st.integers(0, 10_000), st.integers(0, 10)),
)


def _disposal(way: str, lead, b: int) -> dict:
    if way == "talk":
        return {"kind": "talk", "content": "约谈本人", "reply": "作出说明", "assessment": ("accepted", "reminded")[b % 2]}
    if way == "verify":
        return {"report": "经初步核实", "recommendation": ("file", "file", "close")[b % 3],
                "form": ("", "second", "fourth")[b % 3]}
    if way == "shelve":
        from core import calendar
        return {"reason": "暂不具备核查条件", "review_on": (calendar.today() + timedelta(days=30)).isoformat()}
    return {"reason": "反映问题不具体", "form": ("", "first")[b % 2]}


def _apply(step, units, counter) -> None:
    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.leads import operations as lead_ops
    from core.leads.models import Lead

    name, a, b = step
    leads = db.session.scalars(select(Lead).order_by(Lead.id)).all()
    try:
        if name == "register":
            counter[0] += 1
            lead_ops.register_lead(units[a], {
                "source": ("assigned", "inspection_tour", "audit", "supervision")[b % 4], "summary": "反映违规问题",
                "received_on": (calendar.today() - timedelta(days=b)).isoformat(),
                "persons": [{"name": f"测试人{counter[0]}", "level": ("village", "staff", "township")[b % 3],
                             "party_member": bool(b % 2)}]})
        elif name == "dispose" and leads:
            lead = leads[a % len(leads)]
            way = WAYS[b]
            lead_ops.dispose(lead, way, _disposal(way, lead, a))
        elif name == "verify_to_file" and leads:
            lead = leads[a % len(leads)]
            lead_ops.dispose(lead, "verify", {"report": "经初步核实，问题基本属实", "recommendation": "file",
                                              "form": ("", "second", "fourth")[b]})
        elif name in ("open_case", "advance_case") and leads:
            _case_step(name, leads, a, b)
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


PROPOSALS = ({"category": "party", "kind": "warning", "form": "second"},
             {"category": "government", "kind": "demerit", "form": "second"},
             {"category": "organisational", "kind": "admonish", "form": "first"},
             {"category": "none"})
REVIEWS = ("review_agree", "review_agree", "review_send_back", "review_change")


def _case_step(name, leads, a, b) -> None:
    """Cases (审查调查) opened of leads verified with 建议立案, each moved one step along its way: the file written
    and submitted, reviewed by the unit's reviewer (the county for a township), resubmitted, decided, executed."""
    from core.cases import operations as case_ops
    from core.cases.models import Case
    from core.cases.queries import case_of_lead
    from tenants.models import Unit

    if name == "open_case":
        waiting = [lead for lead in leads if case_ops.may_open_from(lead) and case_of_lead(lead) is None]
        if waiting:
            lead = waiting[a % len(waiting)]
            case_ops.open_from_lead(lead, db.session.get(Unit, lead.unit_id), {})
        return
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    if not cases:
        return
    case = cases[a % len(cases)]
    owner = db.session.get(Unit, case.unit_id)
    if case.state == "investigating":
        case_ops.add_investigation_step(case, {"kind": "talk", "content": "与本人谈话"})
        case_ops.update_file(case, {"findings": "查明违规发放补贴", **PROPOSALS[b % len(PROPOSALS)]})
        case_ops.take_step(case, "submit", {}, acting_unit=owner)
    elif case.state == "in_review":
        step = REVIEWS[b % len(REVIEWS)]
        case_ops.take_step(case, step, {"points": "请补充证据"}, acting_unit=case_ops.review_unit_of(owner))
    elif case.state == "returned":
        case_ops.take_step(case, "resubmit", {"answer": "已补充调查"}, acting_unit=owner)
    elif case.state == "agreed":
        case_ops.take_step(case, "decide", {}, acting_unit=owner)
    elif case.state == "executing":
        step = next((s for s in case.execution if s.done_on is None), None)
        if step is not None:
            case_ops.complete_execution_step(case, step, {"evidence": "送达回证"})


@settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=10, max_size=40), period=period_text)
def test_lead_and_case_figures_equal_the_sum_of_the_children_and_a_recount(app, tree_units, steps, period):
    from core import calendar
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import fold_journal, refresh_changed_units
    from reporting.periods import parse_period

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, tree_units)
        counter = [0]
        for step in steps:
            _apply(step, units, counter)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()
        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area in ("leads", "cases") and f.kind in ADDITIVE_KINDS]
        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
        for folds in range(2):
            for unit in units:
                whole = rollups.rollup(unit, asked, keys)
                lines = rollups.children_rollup(unit, asked, keys)
                for key in keys:
                    assert whole[key] == sum(line[key] for line in lines), (unit.name, key, period, folds)
                    assert whole[key] == _path_range_sum(unit, key, asked, today), (unit.name, key, period, folds)
            fold_journal()
            db.session.commit()
        assert reconcile.reconcile_totals(mend=False) == []
        # The province's leads received equal a count of every lead of the tree received in the period.
        from core.leads.models import Lead
        received = sum(1 for lead in db.session.scalars(select(Lead)) if asked.contains(lead.received_on))
        assert rollups.rollup(units[0], asked, ["leads.received"])["leads.received"] == received
