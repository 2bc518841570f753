"""The directives area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.directives import api, demo, jobs, operations, queries
from core.directives.models import DirectiveReturn
from core.directives.views import bp
from tenants.access import Action
from tenants.workbench import LEADERS, Panel


def install(_app) -> None:
    # 附件: the papers a unit returns with its figures (the sender reads them as the return's other party).
    register_attachable(DirectiveReturn, read=(Action.DIRECTIVES_RECEIVE, Action.DIRECTIVES_TRACK),
                        attach=Action.DIRECTIVES_RECEIVE)


AREA = Area(
    "directives", install=install, blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.count_late_returns,),
    # returns_submitted_late is not recounted: a corrected return keeps its first lateness in the figure only.
    figures=(("directives.returns_late", operations.recount),), figure_sources=((DirectiveReturn, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("directives.index", _l("通知与专项活动"), Action.INBOX_READ, 20),),
    workbench=(Panel("directives.received", _l("上级来文"), queries.workbench_received, LEADERS, rank=45,
                     href=("directives.index", {}), action=Action.DIRECTIVES_RECEIVE),),
)
