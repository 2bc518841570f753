"""A holiday schedule saved after a rota was set: the rota months of its year are counted again, so the covered and
uncovered working days follow the new calendar (a new holiday leaves the count, a new 调休 Saturday becomes an
uncovered working day) and the nightly reconcile finds nothing to mend."""
from __future__ import annotations

from datetime import date

from core import calendar, context
from core.extensions import db
from tests.conftest import run_queued_jobs
from tests.test_calendar import SCHEDULE_2027
from tests.test_reception import _people, _recount_agrees, _stats


def test_a_new_holiday_schedule_moves_the_rotas_covered_days(app, factory):
    from core.reception import operations as ops
    from reporting import reconcile
    from tenants.models import Unit

    tree = factory.tree()
    people = _people(factory, tree)
    admin_id = factory.account("r-sys", platform_role="system")
    with app.app_context(), context.acting(context.maintenance_context(account_id=people["leader"]), db.session):
        town = db.session.get(Unit, tree.town)
        ops.generate_rota(town, {"month": "2027-02", "account_ids": [people["leader"], people["officer"]]})
        db.session.commit()
    # 2027 is counted on weekdays until its schedule arrives: February's 20 weekdays all covered.
    assert _stats(app, tree.town, "2027-02")["reception.rota.covered"] == 20
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        calendar.save_schedule(2027, calendar.parse_schedule(2027, SCHEDULE_2027), admin_id)
        db.session.commit()
    run_queued_jobs(app)
    # The Spring Festival's weekdays leave the count; its make-up Saturdays (13 and 20 February) need a receptionist.
    with app.app_context():
        festival = [d for d in (date(2027, 2, day) for day in range(1, 29)) if not calendar.is_workday(d)
                    and d.weekday() < 5]
        makeup = [d for d in (date(2027, 2, day) for day in range(1, 29)) if calendar.is_workday(d) and d.weekday() >= 5]
    assert festival and makeup
    stats = _stats(app, tree.town, "2027-02")
    assert stats["reception.rota.covered"] == 20 - len(festival)
    assert stats.get("reception.rota.uncovered", 0) == len(makeup)
    _recount_agrees(app, tree.town)
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.get(Unit, tree.town)
        assert [d for d in reconcile.reconcile_unit(town, calendar.today()) if d.metric.startswith("reception.")] == []
