"""Roll-ups: sums of the stats rows that every level agrees on, equal to a recount from the records,
fresh at commit (stage counts) and within a minute (overdue); the JSON API, role-scoped."""
from __future__ import annotations

from datetime import date, timedelta

import pyotp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.conftest import ADMIN_URL, bearer

OUTCOMES = ["founded", "partly", "unfounded", "unverifiable"]
ADDITIVE_KINDS = ("stock", "flow", "total")


def _raw(n: int, received_on: date) -> dict:
    return dict(channel=["letter", "visit", "phone", "online"][n % 4], anonymous=False, accused_name=f"测试人{n}",
                accused_position="村委委员", accused_work_unit=f"某村{n % 3}", accused_level="village",
                summary=f"反映测试人{n}优亲厚友问题", received_on=received_on,
                informant={"name": "举报人", "phone": "13800000000"})


action = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 7), st.integers(0, 420)),
    st.tuples(st.just("start"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("conclude"), st.integers(0, 10_000), st.integers(0, 3)),
    st.tuples(st.just("route"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("issue"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("advance_item"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("withdraw"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("talk"), st.integers(0, 10_000), st.integers(0, 30)),
)
period_text = st.sampled_from(["week", "month", "quarter", "year", "2026-Q1", "2025",
                               "2025-11-03..2026-02-10", "2026-10-01..2026-11-30"])


def _apply(step, units, counter):
    from core import calendar
    from core.errors import Conflict, InvalidInput
    from core.petitions import operations as petition_ops
    from core.petitions.models import Petition
    from core.supervision import operations as supervision_ops
    from core.supervision.models import SupervisionItem

    today = calendar.today()
    name, a, b = step
    petitions = db.session.scalars(select(Petition).order_by(Petition.id)).all()
    items = db.session.scalars(select(SupervisionItem).where(SupervisionItem.kind == "assigned")
                               .order_by(SupervisionItem.id)).all()
    try:
        if name == "register":
            counter[0] += 1
            petition_ops.register_petition(units[a], _raw(counter[0], today - timedelta(days=b)), categories=None)
        elif name in ("start", "conclude", "route") and petitions:
            petition = petitions[a % len(petitions)]
            if name == "start":
                petition_ops.take_step(petition, "start", {})
            elif name == "conclude":
                petition_ops.take_step(petition, "conclude", {"outcome": OUTCOMES[b], "findings": "经核查",
                                                              "concluded_on": max(petition.received_on, today - timedelta(days=b * 20))})
            else:
                below = [u for u in units if u.id != petition.unit_id and u.path.startswith(petition.unit_path)]
                if below:
                    petition_ops.route_petition(petition, below[b % len(below)], mode="assign")
        elif name == "issue":
            issuers = [u for u in units if u.level != "township"]
            issuer = issuers[a % len(issuers)]
            below = [u for u in units if u.id != issuer.id and u.path.startswith(issuer.path)]
            supervision_ops.issue_item(issuer, below[b % len(below)], kind="assigned", title="专项督办",
                                       due_on=today + timedelta(days=10))
        elif name == "advance_item" and items:
            item = items[a % len(items)]
            step_fn = {"issued": supervision_ops.receive,
                       "received": lambda i: supervision_ops._apply(i, "start"),
                       "in_progress": lambda i: supervision_ops.report_done(i, "已办结"),
                       "reported_done": supervision_ops.accept}.get(item.state)
            if step_fn:
                step_fn(item)
        elif name == "withdraw" and items:
            item = items[a % len(items)]
            if item.state in ("issued", "received", "in_progress"):
                supervision_ops.close(item, reason="撤销")
        elif name == "talk":
            issuers = [u for u in units if u.level != "township"]
            issuer = issuers[a % len(issuers)]
            below = [u for u in units if u.id != issuer.id and u.path.startswith(issuer.path)]
            supervision_ops.record_talk(issuer, None, below[a % len(below)], who="纪委书记", whom="乡镇党委书记",
                                        held_on=today - timedelta(days=b), reason="督办逾期", outcome="已整改")
    except (InvalidInput, Conflict):
        db.session.rollback()  # a step the state does not allow now: nothing moved
        return
    db.session.commit()


@pytest.fixture
def tree_units(app, factory):
    tree = factory.tree()
    return [tree.province, tree.city, tree.county, tree.town, tree.town2, tree.other_city, tree.other_county,
            tree.other_town]


def _units(app, ids):
    from tenants.models import Unit

    return [db.session.get(Unit, i) for i in ids]


def _path_range_sum(unit, key: str, period, today: date) -> int:
    """The figure the plain way: the stats rows of the unit's subtree summed over its path range."""
    from reporting import rollups
    from reporting.figures import FIGURES
    from tenants.models import UnitStat, upper_bound

    figure = FIGURES[key]
    keys = rollups._keys_for([figure], period, today)[figure.kind]
    return db.session.scalar(select(db.func.coalesce(db.func.sum(UnitStat.value), 0)).where(
        UnitStat.metric.in_(figure.stats_metrics(None)), UnitStat.period.in_(keys),
        UnitStat.unit_path >= unit.path, UnitStat.unit_path < upper_bound(unit.path)))


def subtree_total(unit, metric: str) -> int:
    """The unit's subtree's stats rows of one metric (all time), summed the plain way."""
    from tenants.models import UnitStat, upper_bound

    return db.session.scalar(select(db.func.coalesce(db.func.sum(UnitStat.value), 0)).where(
        UnitStat.metric == metric, UnitStat.period == "", UnitStat.unit_path >= unit.path,
        UnitStat.unit_path < upper_bound(unit.path)))


def assert_rollups_agree(units, asked, keys, today: date, period) -> None:
    """Every unit's roll-up equals the sum of its children's lines and the plain path-range sum, before and after
    the journal is folded into the totals; the totals then reconcile (the areas' property tests share this)."""
    from reporting import reconcile, rollups
    from reporting.operations import fold_journal

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


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(action, min_size=5, max_size=30), period=period_text)
def test_every_level_equals_the_sum_of_its_children_and_a_recount_from_the_records(app, tree_units, steps, period):
    from core import calendar
    from core.petitions.models import Petition
    from reporting import reconcile, rollups
    from reporting.figures import FIGURES
    from reporting.operations import fold_journal, refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import UnitStatJournal

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        units = _units(app, tree_units)
        counter = [db.session.scalar(select(db.func.count()).select_from(Petition))]
        for step in steps:
            _apply(step, units, counter)
        today = calendar.today()
        refresh_changed_units(today)  # the minute's refresh of time-based figures (overdue)
        db.session.commit()
        asked = parse_period(period)
        additive = [k for k, f in FIGURES.items() if f.kind in ADDITIVE_KINDS and not f.per_campaign]
        for unit in units:
            # The stats rows hold what the records say (stocks, dated flows and their week/month/year keys).
            assert reconcile.reconcile_unit(unit, today) == [], unit.name
        # Read from the subtree totals plus the journal: before any fold (all in the journal), after one,
        # and after a second fold that finds nothing left to fold.
        for folds in range(3):
            for unit in units:
                whole = rollups.rollup(unit, asked, additive)
                lines = rollups.children_rollup(unit, asked, additive)
                for key in additive:
                    assert whole[key] == sum(line[key] for line in lines), (unit.name, key, period, folds)
                    assert whole[key] == _path_range_sum(unit, key, asked, today), (unit.name, key, period, folds)
            pending = db.session.scalar(select(db.func.count()).select_from(UnitStatJournal))
            assert fold_journal()["moves"] == pending and (folds == 0 or pending == 0)
            db.session.commit()
        assert reconcile.reconcile_totals(mend=False) == []
        # And the province's figure equals a count over every record of the tree, period by period.
        received = sum(1 for p in db.session.scalars(select(Petition)) if asked.contains(p.received_on))
        concluded = sum(1 for p in db.session.scalars(select(Petition)) if p.state in ("concluded", "closed")
                        and p.concluded_on and asked.contains(p.concluded_on))
        province = rollups.rollup(units[0], asked, ["petitions.received", "petitions.concluded"])
        assert (province["petitions.received"], province["petitions.concluded"]) == (received, concluded)


def test_a_township_transition_shows_in_the_province_figures_at_commit_and_overdue_within_the_refresh(
        app, factory, browser):
    """Stage counts are exact at commit; overdue (time-based) follows from the refresh job over the units
    marked changed, which the periodic job runs every minute."""
    import time_machine

    from core import calendar
    from core.petitions import operations as petition_ops
    from reporting import rollups
    from reporting.operations import refresh_changed_units
    from reporting.periods import parse_period
    from tenants.models import ChangedUnit, Unit, UnitStatJournal, UnitStatTotal

    tree = factory.tree()
    factory.account("prov-analyst", [(tree.province, "analyst")])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.get(Unit, tree.town)
        petition = petition_ops.register_petition(town, _raw(1, calendar.today()), categories=None)
        db.session.commit()
        due_on = petition.due_on
    headers = bearer(app, "prov-analyst")
    client = app.test_client()
    answer = client.get(f"/api/v1/units/{tree.province}/rollup?period=week&metrics=petitions.received,"
                        f"petitions.open,petitions.overdue", headers=headers).get_json()
    assert answer["values"] == {"petitions.received": 1, "petitions.open": 1, "petitions.overdue": 0}
    assert answer["figures"]["petitions.open"]["label"] == "在办"
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        # No fold has run: the province's figure came from the journal (its subtree totals are empty).
        assert db.session.scalar(select(db.func.count()).select_from(UnitStatTotal)) == 0
        assert db.session.scalar(select(db.func.count()).select_from(UnitStatJournal)) > 0

    with time_machine.travel(due_on + timedelta(days=2)):
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            # A later transition at the township marks it; the refresh recounts its overdue figure.
            other = petition_ops.register_petition(db.session.get(Unit, tree.town), _raw(2, calendar.today()),
                                                   categories=None)
            db.session.commit()
            assert db.session.scalar(select(ChangedUnit.unit_id)) == tree.town
            assert refresh_changed_units(calendar.today()) == {"units": 1}
            db.session.commit()
            assert db.session.scalar(select(ChangedUnit.id)) is None
            figures = rollups.rollup(db.session.get(Unit, tree.province), parse_period("year"),
                                     ["petitions.open", "petitions.overdue"])
            assert figures.values == {"petitions.open": 2, "petitions.overdue": 1}
            assert other.id


def test_the_rollup_api_is_role_scoped_and_unknown_figures_are_refused(app, factory):
    tree = factory.tree()
    factory.account("county-analyst", [(tree.county, "analyst")])
    factory.account("county-officer", [(tree.county, "officer")])
    factory.account("sysadmin", platform_role="system")
    client = app.test_client()
    analyst = bearer(app, "county-analyst")
    assert client.get(f"/api/v1/units/{tree.county}/rollup", headers=analyst).status_code == 200
    assert client.get(f"/api/v1/units/{tree.town}/rollup", headers=analyst).status_code == 200
    children = client.get(f"/api/v1/units/{tree.county}/rollup/children?rank_by=petitions.received",
                          headers=analyst).get_json()
    assert [line["unit_name"] for line in children["items"]] == ["东镇", "西镇", "甲县"]
    assert children["items"][-1]["own_level"] is True
    # Another county, the city above, a sibling city: all absent, whatever the parameters.
    for unit_id in (tree.other_county, tree.city, tree.province, tree.other_city, 999999):
        for path in ("rollup", "rollup/children", "rollup?period=year&metrics=petitions.received"):
            assert client.get(f"/api/v1/units/{unit_id}/{path}", headers=analyst).status_code == 404, (unit_id, path)
    officer = bearer(app, "county-officer")
    assert client.get(f"/api/v1/units/{tree.county}/rollup", headers=officer).status_code == 200
    assert client.get(f"/api/v1/units/{tree.town}/rollup", headers=officer).status_code == 404
    assert client.get(f"/api/v1/units/{tree.county}/rollup/children", headers=officer).status_code == 404
    admin = bearer(app, "sysadmin", code=pyotp.TOTP(factory.totp["sysadmin"]).now())
    assert client.get(f"/api/v1/units/{tree.province}/rollup", headers=admin).status_code == 404
    bad = client.get(f"/api/v1/units/{tree.county}/rollup?period=2026-13&metrics=petitions.nope", headers=analyst)
    assert bad.status_code == 422 and "统计周期无效" in str(bad.get_json())
    bad = client.get(f"/api/v1/units/{tree.county}/rollup?metrics=petitions.nope", headers=analyst)
    assert bad.status_code == 422 and "未知指标" in str(bad.get_json())


def _totals(unit_ids) -> dict:
    from tenants.models import UnitStatTotal

    return {(t.unit_id, t.metric, t.period): t.value for t in db.session.scalars(
        select(UnitStatTotal).where(UnitStatTotal.unit_id.in_(unit_ids)))}


def test_the_fold_adds_each_move_to_the_unit_and_every_ancestor_once(app, factory, owner_engine):
    """The every-minute job folds the journal into the subtree totals; run again (RQ delivers at least
    once) it finds nothing to fold and the totals stay; the figures are the same before and after, and
    a rebuild from the stats rows gives the same totals."""
    from sqlalchemy import text

    from core import calendar
    from core.petitions import operations as petition_ops
    from reporting import jobs, rollups
    from reporting.periods import parse_period
    from tenants.models import Unit, UnitStatJournal
    from tenants.stats import MAX_DEPTH_SQL, rebuild_totals_statements

    tree = factory.tree()
    chain = [tree.province, tree.city, tree.county, tree.town]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for n in range(3):
            petition_ops.register_petition(db.session.get(Unit, tree.town), _raw(n, calendar.today()), categories=None)
        petition_ops.register_petition(db.session.get(Unit, tree.county), _raw(9, calendar.today()), categories=None)
        db.session.commit()
        before = {u: rollups.rollup(db.session.get(Unit, u), parse_period("year"), ["petitions.open"]).values
                  for u in chain}
        assert before[tree.province] == {"petitions.open": 4} and before[tree.town] == {"petitions.open": 3}

    with app.app_context():
        first = jobs.refresh_time_based_figures()
    assert first["moves"] > 0
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        totals = _totals(chain + [tree.other_city])
        assert [totals.get((u, "petitions.open", "")) for u in chain] == [4, 4, 4, 3]
        assert (tree.other_city, "petitions.open", "") not in totals
        assert db.session.scalar(select(db.func.count()).select_from(UnitStatJournal)) == 0
    with app.app_context():
        again = jobs.refresh_time_based_figures()
    assert (again["moves"], again["totals"]) == (0, 0)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert _totals(chain + [tree.other_city]) == totals
        after = {u: rollups.rollup(db.session.get(Unit, u), parse_period("year"), ["petitions.open"]).values
                 for u in chain}
        assert after == before
        # Rebuilt from the stats rows, over the totals (the job) and into an empty table (the migration's and
        # the benchmark's way): the same totals.
        assert jobs.rebuild_subtree_totals()["journal_moves_dropped"] == 0
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert _totals(chain + [tree.other_city]) == totals
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM unit_stat_totals"))
        for statement in rebuild_totals_statements(conn.execute(text(MAX_DEPTH_SQL)).scalar(), empty=True):
            conn.execute(text(statement))
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert _totals(chain + [tree.other_city]) == totals


def test_the_reconcile_reports_and_mends_drift_in_the_subtree_totals(app, factory, owner_engine):
    from sqlalchemy import text

    from core import calendar
    from core.petitions import operations as petition_ops
    from reporting import reconcile, rollups
    from reporting.models import ReconcileRun
    from reporting.operations import fold_journal, record_reconcile_run
    from reporting.periods import parse_period
    from tenants.models import Unit

    tree = factory.tree()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition_ops.register_petition(db.session.get(Unit, tree.town), _raw(1, calendar.today()), categories=None)
        fold_journal()
        db.session.commit()
    # A write behind the operations' back: the county's subtree total says 6 open petitions.
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE unit_stat_totals SET value = 6 WHERE unit_id = :u AND metric = 'petitions.open' "
                          "AND period = ''"), {"u": tree.county})
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        county = db.session.get(Unit, tree.county)
        assert rollups.rollup(county, parse_period("year"), ["petitions.open"])["petitions.open"] == 6
        result = record_reconcile_run(calendar.today())
        db.session.commit()
        assert result["metrics"] == {"totals:petitions.open": 1} and result["drifted_units"] == 1
        run = db.session.scalar(select(ReconcileRun).order_by(ReconcileRun.id.desc()))
        assert run.drifts == 1 and run.metrics == {"totals:petitions.open": 1}
        panel = reconcile.status_panel()
        assert "totals:petitions.open（1）" in panel["rows"][0]["cells"][-1]
        # Mended: the county's figure is its subtree's again, and nothing drifts any more.
        assert rollups.rollup(county, parse_period("year"), ["petitions.open"])["petitions.open"] == 1
        assert reconcile.reconcile_totals(mend=False) == []


def test_moving_a_county_keeps_the_roll_ups_of_its_old_and_new_ancestors_exact(app, factory):
    """A move takes the county's subtree totals out of its old ancestors' and into its new ones' (through
    the journal), before the fold and after it."""
    from core import calendar
    from core.petitions import operations as petition_ops
    from reporting import rollups
    from reporting.operations import fold_journal
    from reporting.periods import parse_period
    from tenants import operations as ops
    from tenants.models import Unit

    tree = factory.tree()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        for n in range(2):
            petition_ops.register_petition(db.session.get(Unit, tree.town), _raw(n, calendar.today()), categories=None)
        fold_journal()  # the county's petitions are in the totals ...
        petition_ops.register_petition(db.session.get(Unit, tree.town2), _raw(5, calendar.today()), categories=None)
        db.session.commit()  # ... and one more still in the journal
        ops.move_unit(db.session.get(Unit, tree.county), db.session.get(Unit, tree.other_city))
        db.session.commit()
        year = parse_period("year")
        for fold in (False, True):
            if fold:
                fold_journal()
                db.session.commit()
            figures = {u: rollups.rollup(db.session.get(Unit, u), year, ["petitions.open"])["petitions.open"]
                       for u in (tree.province, tree.city, tree.other_city, tree.county)}
            assert figures == {tree.province: 3, tree.city: 0, tree.other_city: 3, tree.county: 3}, fold
            lines = rollups.children_rollup(db.session.get(Unit, tree.province), year, ["petitions.open"])
            assert [(line.unit.id, line["petitions.open"]) for line in lines] == [
                (tree.city, 0), (tree.other_city, 3), (tree.province, 0)]


@pytest.mark.skipif(not ADMIN_URL, reason="concurrent transactions: the PostgreSQL pass")
def test_folds_at_once_and_moves_committed_during_a_fold_are_each_counted_once(app, factory):
    """RQ may run the fold twice at once; a casework transaction may commit its moves while a fold runs.
    Each move reaches the totals exactly once, and the roll-up never counts one twice or misses one."""
    import threading
    import time

    from reporting import rollups
    from reporting.operations import fold_journal
    from reporting.periods import parse_period
    from tenants import operations as ops
    from tenants.models import Unit

    tree = factory.tree()

    def in_thread(work, out):
        def run():
            with app.app_context(), context.acting(context.maintenance_context(), db.session):
                out.append(work())
                db.session.commit()
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def bump(n):
        ops.bump_stat(db.session.get(Unit, tree.town), "petitions.open", n)

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        bump(2)
        db.session.commit()
        # A fold holds its moves (deleted, uncommitted) while a second fold and a writer come along.
        first = fold_journal()
        second, written = [], []
        folder = in_thread(fold_journal, second)
        writer = in_thread(lambda: bump(3), written)
        writer.join(5)
        time.sleep(0.3)
        assert second == [] and written == [None]  # the second fold waits for the first's rows
        db.session.commit()
        folder.join(5)
    assert first["moves"] == 1 and second[0]["moves"] in (0, 1)  # the writer's move, if committed before it
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        fold_journal()
        db.session.commit()
        for unit_id in (tree.town, tree.county, tree.province):
            total = _totals([unit_id])[(unit_id, "petitions.open", "")]
            figure = rollups.rollup(db.session.get(Unit, unit_id), parse_period("year"), ["petitions.open"])
            assert (total, figure["petitions.open"]) == (5, 5), unit_id


def test_the_figures_commands_fold_the_journal_and_rebuild_tampered_totals(app, factory, owner_engine):
    from sqlalchemy import text

    from core import calendar
    from core.petitions import operations as petition_ops
    from reporting import rollups
    from reporting.periods import parse_period
    from tenants.models import Unit

    tree = factory.tree()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition_ops.register_petition(db.session.get(Unit, tree.town), _raw(1, calendar.today()), categories=None)
        db.session.commit()
    journal = text("SELECT count(*) FROM unit_stat_journal")
    with owner_engine.connect() as conn:
        assert conn.scalar(journal) > 0
    cli = app.test_cli_runner()
    result = cli.invoke(args=["figures", "refresh"])
    assert result.exit_code == 0 and '"moves"' in result.output
    with owner_engine.begin() as conn:
        assert conn.scalar(journal) == 0
        conn.execute(text("UPDATE unit_stat_totals SET value = 6 WHERE unit_id = :u AND metric = 'petitions.open' "
                          "AND period = ''"), {"u": tree.county})

    def open_at_county():
        with app.app_context(), context.acting(context.maintenance_context(), db.session):
            return rollups.rollup(db.session.get(Unit, tree.county), parse_period("year"),
                                  ["petitions.open"])["petitions.open"]

    assert open_at_county() == 6
    assert cli.invoke(args=["figures", "rebuild-totals"]).exit_code == 0
    assert open_at_county() == 1
