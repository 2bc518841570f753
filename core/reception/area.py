"""The reception area's declaration for the app factory (core/areas.py): 轮流坐班接访 · 三访合一, above petitions (a
reception that raised a report is registered as a petition through core.petitions.operations).

The reception room's rota by working day and each reception (接访、下访、约访) are the unit's own records; a petition
registered from a reception shows it on its page through core.areas.RECORD_PANELS (petitions import nothing here)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import RECORD_PANELS, Area
from core.calendar import SCHEDULE_LISTENERS
from core.reception import api, demo, jobs, operations, queries, views
from core.reception.models import Reception, ReceptionRota
from tenants.access import Action
from tenants.workbench import Panel


def install(app: Flask) -> None:
    # 来自接访登记: the petition's page names the reception it came from.
    RECORD_PANELS.register("reception", views.petition_panel)
    # A holiday schedule saved: the rota months of its year counted again (covered/uncovered working days).
    SCHEDULE_LISTENERS.register("reception_coverage", operations.recount_coverage_for_year)


AREA = Area(
    "reception", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    figures=(("reception.", operations.recount),),
    figure_sources=((Reception, "unit_id"), (ReceptionRota, "unit_id")), demo=(demo.seed,),
    workspace_links=(("reception.index", _l("信访接待室"), Action.RECEPTION_READ, 41),),
    workbench=(Panel("reception.rota", _l("接访值班"), queries.workbench_rota, Action.RECEPTION_READ, rank=8,
                     href=("reception.index", {}), action=Action.RECEPTION_READ),),
    install=install,
)
