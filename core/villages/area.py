"""The villages area's declaration for the app factory (core/areas.py): 清廉村居, above leads, below zones.

A township's villages and communities are its records; the county's grading rounds (定期研判) reach its townships
(inherited), a village's grading reaches its county (the other party, who confirms it); a C village's plan
(一村一方案) and its items carry files (evidence of scores and of close-outs)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.villages import api, demo, jobs, operations, views
from core.villages.models import Village, VillageGrading, VillagePlan, VillagePlanItem
from tenants.access import Action


def install(app: Flask) -> None:
    # 附件: a village's own papers, a grading's evidence of its scores, a plan's and an item's close-out evidence.
    register_attachable(Village, read=Action.VILLAGES_READ, attach=Action.VILLAGES_MANAGE)
    register_attachable(VillageGrading, read=Action.VILLAGES_READ, attach=Action.VILLAGES_MANAGE)
    register_attachable(VillagePlan, read=Action.VILLAGES_READ, attach=Action.VILLAGES_MANAGE)
    register_attachable(VillagePlanItem, read=Action.VILLAGES_READ, attach=Action.VILLAGES_MANAGE)


AREA = Area(
    "villages", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    recounts=(operations.refresh_overdue,), figures=(("villages.", operations.recount),),
    figure_sources=((Village, "unit_id"),), demo=(demo.seed,),
    workspace_links=(("villages.index", _l("清廉村居"), Action.VILLAGES_READ, 57),), install=install,
)
