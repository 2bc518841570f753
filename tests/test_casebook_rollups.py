"""The figures of the guidance case library (典型案例 · 指导案例) roll up like every figure: after random cases published
(refused below a city, and refused when the text holds a name of the unit's staff), edited and withdrawn (once),
proposals sent up from every level to the unit's city or province (refused to any other unit), returned with a
reason, resubmitted and published by the upper unit they were sent to (once, and by no other), each unit's stats
rows equal a recount from its records (the nightly reconcile finds nothing), every level's figure (township,
county, city, province) equals the sum of its children's and of its subtree's stats rows, and the province's
figures equal a count over every case and every proposal."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.test_rollups import ADDITIVE_KINDS, assert_rollups_agree, subtree_total, _units, period_text

TAGS = ("澄清情形:失实检举控告", "澄清范围:本人", "澄清方式:书面澄清通知书", "线索处置:予以了结", "信访举报:重复信访")
action = st.one_of(
    st.tuples(st.just("publish"), st.integers(0, 7), st.integers(0, 10_000)),
    st.tuples(st.just("edit"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("withdraw"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("propose"), st.integers(0, 7), st.integers(0, 10_000)),
    st.tuples(st.just("propose"), st.integers(0, 7), st.integers(0, 10_000)),
    st.tuples(st.just("return"), st.integers(0, 10_000), st.integers(0, 1)),
    st.tuples(st.just("resubmit"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("adopt"), st.integers(0, 10_000), st.integers(0, 10_000)),
)


@pytest.fixture
def world(app, factory):
    """The test tree; a leader of every unit of it (whose name the anonymisation check knows in each)."""
    tree = factory.tree()
    ids = [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
           tree.other_town]
    return {"units": ids, "leader": factory.account("cb-leader", [(u, "leader") for u in ids])}


def _pick(model, a):
    rows = db.session.scalars(select(model).order_by(model.id)).all()
    return rows[a % len(rows)] if rows else None


def _text(b: int, leader) -> dict:
    """A case's fields; one in nine names the unit's leader (refused: 须隐去人名)."""
    narrative = "经核查，反映某某村干部优亲厚友问题失实，镇纪委在村民代表大会上予以澄清。"
    if b % 9 == 4:
        narrative += f"承办人{leader.display_name}参加。"
    return {"title": f"失实举报澄清案例{b % 13}", "situation": "反映问题经核查失实", "scope": "村（社区）群众",
            "method": "村民代表大会", "templates": "澄清正名通知书、澄清会议记录", "narrative": narrative,
            "tags": [TAGS[b % len(TAGS)], TAGS[(b // 5) % len(TAGS)]]}


def _apply(step, units, leader) -> None:
    from core.casebook import operations as ops
    from core.casebook.models import CaseProposal, GuidanceCase
    from core.errors import Conflict, InvalidInput

    name, a, b = step
    try:
        if name == "publish":  # at any unit: refused below a city
            ops.publish_case(units[a], _text(b, leader), leader)
        elif name == "propose":  # to the unit's city or province; now and then to another unit (refused)
            unit = units[a]
            publishers = [u.id for u in ops.publishers_for(unit)]
            target = publishers[b % len(publishers)] if publishers and b % 6 else units[(a + 1 + b) % len(units)].id
            ops.propose(unit, {**_text(b, leader), "publisher_id": target}, leader)
        elif name in ("edit", "withdraw") and (case := _pick(GuidanceCase, a)) is not None:
            if name == "edit":
                ops.edit_case(case, _text(b, leader), leader)
            else:
                ops.withdraw_case(case, {"reason": "政策调整，不再适用" if b else ""}, leader)
        elif name in ("return", "resubmit", "adopt") and (proposal := _pick(CaseProposal, a)) is not None:
            publisher = next(u for u in units if u.id == proposal.publisher_id)
            if name == "return":
                ops.return_proposal(proposal, publisher, {"reason": "请补充澄清方式" if b else ""}, leader)
            elif name == "resubmit":
                ops.resubmit(proposal, _text(b, leader), leader)
            else:  # by the unit it was sent to (as proposed or edited), now and then by another (refused)
                by = publisher if b % 7 else units[b % len(units)]
                ops.publish_proposal(proposal, by, _text(b, leader) if b % 2 else {}, leader)
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=40), period=period_text)
def test_casebook_figures_equal_a_recount_and_the_sum_of_the_children_at_every_level(app, world, steps, period):
    from core import calendar
    from core.casebook import operations as ops
    from core.casebook.models import CaseProposal, GuidanceCase
    from core.identity.models import Account
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStat

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, world["units"])
        leader = db.session.get(Account, world["leader"])
        for step in steps:
            _apply(step, units, leader)
        today = calendar.today()
        refresh_changed_units(today)
        db.session.commit()

        for unit in units:
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
            stored = {(row.metric, row.period): row.value for row in db.session.scalars(select(UnitStat).where(
                UnitStat.unit_id == unit.id, UnitStat.metric.like("casebook.%"))) if row.value}
            assert stored == {k: v for k, v in ops.recount(unit, today).items() if v}, unit.name

        metrics = ("casebook.published", "casebook.proposed")
        for unit in units:
            children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
            for metric in metrics:
                own = ops.recount(unit, today).get((metric, ""), 0)
                assert subtree_total(unit, metric) == own + sum(subtree_total(ch, metric) for ch in children), (unit.name, metric)

        asked = parse_period(period)
        keys = [k for k, f in FIGURES.items() if f.area == "casebook" and f.kind in ADDITIVE_KINDS]
        assert set(keys) == set(metrics)
        assert_rollups_agree(units, asked, keys, today, period)

        # The province's figures are a count over every case (withdrawn ones too: they were published) and every
        # proposal (returned, resubmitted or published: proposed once).
        cases = db.session.scalars(select(GuidanceCase)).all()
        proposals = db.session.scalars(select(CaseProposal)).all()
        province = rollups.rollup(units[0], asked, keys)
        assert province["casebook.published"] == sum(1 for c in cases if asked.contains(c.published_on))
        assert province["casebook.proposed"] == sum(1 for p in proposals if asked.contains(p.proposed_on))
        levels = {u.id: u.level for u in units}
        assert all(levels[c.unit_id] in ("province", "city") for c in cases)
        for case in cases:  # no name of a person of the records in a published text
            assert leader.display_name not in case.narrative
        for proposal in proposals:  # published once, by the upper unit it was sent to, as that unit's case
            assert next(u for u in units if u.id == proposal.publisher_id).path != proposal.unit_path
            assert proposal.unit_path.startswith(next(u for u in units if u.id == proposal.publisher_id).path)
            adopted = [c for c in cases if c.proposal_id == proposal.id]
            assert len(adopted) == (proposal.state == "published") and (proposal.case_id is not None) == bool(adopted)
            assert all(c.unit_id == proposal.publisher_id for c in adopted)
