"""The backlog-zeroing area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.handlers.registry import HANDLED, HandledType
from core.zeroing import api, demo, jobs, operations, queries
from core.zeroing.models import BacklogCase
from core.zeroing.views import bp
from tenants.access import Action
from tenants.workbench import OFFICERS, Panel


def install(_app) -> None:
    register_attachable(BacklogCase, read=Action.ZEROING_READ, attach=Action.ZEROING_HANDLE)  # 附件
    # 承办人 of a backlog case: open while proposed or being resolved; overdue past its target date.
    HANDLED.register(BacklogCase.__tablename__, HandledType(
        BacklogCase, _l("信访积案"), Action.ZEROING_HANDLE, Action.ZEROING_READ,
        open_clause=lambda: BacklogCase.state.in_(queries.HANDLER_OPEN),
        overdue_clause=lambda today: (BacklogCase.state == "open") & (BacklogCase.target_on < today),
        is_open=lambda case: case.state in queries.HANDLER_OPEN, title=lambda case: case.petition.number,
        list_endpoint="zeroing.ledger", list_args=queries.handled_list_args, open_args={"open": "1"},
        detail_endpoint="zeroing.case",
        detail_args=lambda case: {"campaign_id": case.directive_id, "backlog_case_id": case.id}))


AREA = Area(
    "zeroing", install=install, blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.refresh_overdue,),
    figures=(("zeroing.", operations.recount),), figure_sources=((BacklogCase, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("zeroing.index", _l("积案动态清零"), Action.ZEROING_READ, 50),),
    workbench=(Panel("zeroing.mine", _l("我承办的积案"), queries.workbench_mine, OFFICERS, rank=40,
                     href=("zeroing.index", {}), action=Action.ZEROING_READ),),
)
