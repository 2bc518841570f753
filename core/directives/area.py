"""The directives area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.directives import api, jobs, operations
from core.directives.views import bp
from tenants.access import Action

AREA = Area(
    "directives", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.count_late_returns,),
    workspace_links=(("directives.index", _l("通知与专项活动"), Action.INBOX_READ, 20),),
)
