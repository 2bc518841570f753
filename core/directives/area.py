"""The directives area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.directives import api, demo, jobs, operations
from core.directives.models import DirectiveReturn
from core.directives.views import bp
from tenants.access import Action

AREA = Area(
    "directives", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.count_late_returns,),
    # returns_submitted_late is not recounted: a corrected return keeps its first lateness in the figure only.
    figures=(("directives.returns_late", operations.recount),), figure_sources=((DirectiveReturn, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("directives.index", _l("通知与专项活动"), Action.INBOX_READ, 20),),
)
