"""The supervision area's declaration for the app factory (core/areas.py): on the shared floor with the inbox."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.supervision import api, demo, jobs, operations
from core.supervision.models import SupervisionItem
from core.supervision.views import bp
from tenants.access import Action

AREA = Area(
    "supervision", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.refresh_overdue,),
    figures=(("supervision.", operations.recount),),
    figure_sources=((SupervisionItem, "unit_id"), (SupervisionItem, "recipient_unit_id")),
    demo=(demo.seed,), workspace_links=(("supervision.index", _l("督办件"), Action.SUPERVISION_READ, 30),),
)
