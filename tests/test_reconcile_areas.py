"""The nightly recount loops over the installed areas: each area declares the recount of the figures it owns
(``Area.figures``) and the records whose units have figures (``Area.figure_sources``)."""
from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select, text

from core import context
from core.areas import ORDER
from core.extensions import db


def test_each_area_declares_the_recount_of_the_figures_it_owns(app):
    from core.areas import installed

    prefixes = [prefix for prefix, _recount in installed(app).figures]
    assert prefixes == ["supervision.", "petitions.", "clearing.", "directives.returns_late", "zeroing.", "leads.", "cases.", "villages.", "meetings.", "evidence.",
                        "reception.", "ledgers.rows", "ledgers.spot", "guidance.", "casebook."]
    sources = {(model.__tablename__, column) for model, column in installed(app).figure_sources}
    assert sources == {("supervision_items", "unit_id"), ("supervision_items", "recipient_unit_id"),
                       ("petitions", "unit_id"), ("clearing_cases", "unit_id"), ("clearing_candidates", "unit_id"),
                       ("directive_returns", "unit_id"), ("backlog_cases", "unit_id"), ("leads", "unit_id"), ("cases", "unit_id"),
                       ("remote_interviews", "unit_id"), ("villages", "unit_id"),
                       ("inspection_tours", "unit_id"), ("receptions", "unit_id"), ("reception_rotas", "unit_id"),
                       ("ledger_rows", "unit_id"), ("ledger_spot_checks", "unit_id"),
                       ("ledger_spot_checks", "township_id"), ("guidance_meetings", "unit_id"),
                       ("guidance_visits", "unit_id"), ("casebook_cases", "unit_id"), ("casebook_proposals", "unit_id")}


def test_the_reconcile_imports_no_casework_area():
    tree = ast.parse((Path(__file__).parent.parent / "reporting" / "reconcile.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not [name for name in imported if name.startswith("core.") and name.split(".")[1] in ORDER]


def test_a_figure_of_every_area_moved_behind_its_back_is_found_and_mended(app, factory):
    from core import calendar
    from reporting.operations import record_reconcile_run
    from tenants import operations as tenancy_ops
    from tenants.models import Unit, UnitStat

    tree = factory.tree()
    metrics = ("supervision.open", "petitions.open", "clearing.candidates", "directives.returns_late",
               "zeroing.1.stock", "cases.open")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.get(Unit, tree.town)
        for metric in metrics:
            tenancy_ops.set_stat(town, metric, 7)  # no record says so
        result = record_reconcile_run(calendar.today())
        db.session.commit()
        assert result["drifted_units"] == 1 and result["metrics"] == {metric: 1 for metric in metrics}
        # Mended: the stats rows hold what the records say again (nothing).
        assert not db.session.scalars(select(UnitStat).where(UnitStat.unit_id == town.id, UnitStat.metric.in_(metrics),
                                                             UnitStat.value != 0)).all()


def test_a_unit_with_records_but_no_figures_is_recounted(app, factory, owner_engine):
    from core import calendar
    from core.petitions import operations as petition_ops
    from reporting import reconcile
    from tenants.models import Unit

    tree = factory.tree()
    today = calendar.today()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition_ops.register_petition(db.session.get(Unit, tree.town), dict(
            channel="letter", anonymous=False, accused_name="测试人", accused_position="村委委员",
            accused_work_unit="某村", accused_level="village", summary="反映测试人优亲厚友问题", received_on=today,
            informant={"name": "举报人", "phone": "13800000000"}), categories=None)
        db.session.commit()
    with owner_engine.begin() as conn:  # the stats rows lost behind the app's back: only the petition is left
        conn.execute(text("DELETE FROM unit_stats WHERE unit_id = :u"), {"u": tree.town})
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert tree.town in reconcile.units_with_figures_or_records()
        drifts = reconcile.reconcile_unit(db.session.get(Unit, tree.town), today)
        assert {(d.metric, d.period, d.stored, d.counted) for d in drifts} >= {
            ("petitions.received", "", 0, 1), ("petitions.open", "", 0, 1),
            ("petitions.received", today.isoformat(), 0, 1)}
