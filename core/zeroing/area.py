"""The backlog-zeroing area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.zeroing import api, demo, jobs, operations
from core.zeroing.models import BacklogCase
from core.zeroing.views import bp
from tenants.access import Action

AREA = Area(
    "zeroing", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.refresh_overdue,),
    figures=(("zeroing.", operations.recount),), figure_sources=((BacklogCase, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("zeroing.index", _l("积案动态清零"), Action.ZEROING_READ, 50),),
)
