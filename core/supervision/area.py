"""The supervision area's declaration for the app factory (core/areas.py): on the shared floor with the inbox."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.supervision import api, demo, jobs, operations, queries
from core.supervision.models import ProgressReport, SupervisionItem
from core.supervision.views import bp
from core.supervision.workflow import OPEN as ITEM_OPEN
from core.handlers.registry import HANDLED, HandledType
from tenants.access import Action
from tenants.workbench import LEADERS, OFFICERS, Panel


def install(_app) -> None:
    # 附件: the issuer's papers and the receiver's evidence, on the item and on each progress report.
    register_attachable(SupervisionItem, read=Action.SUPERVISION_READ,
                        attach=(Action.SUPERVISION_ISSUE, Action.SUPERVISION_HANDLE))
    register_attachable(ProgressReport, read=Action.SUPERVISION_READ, attach=Action.SUPERVISION_HANDLE)
    # 承办人 of an item received: an officer of the receiving unit; overdue past the item's deadline.
    HANDLED.register(SupervisionItem.__tablename__, HandledType(
        SupervisionItem, _l("督办件"), Action.SUPERVISION_HANDLE, Action.SUPERVISION_READ,
        open_clause=lambda: SupervisionItem.state.in_(ITEM_OPEN),
        overdue_clause=lambda today: SupervisionItem.state.in_(ITEM_OPEN) & (SupervisionItem.due_on < today),
        is_open=lambda item: item.state in ITEM_OPEN, title=lambda item: item.number,
        list_endpoint="supervision.index", overdue_args={}, detail_endpoint="supervision.show",
        detail_args=lambda item: {"item_id": item.id}, unit_column="recipient_unit_id"))


AREA = Area(
    "supervision", install=install, blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.refresh_overdue,),
    figures=(("supervision.", operations.recount),),
    figure_sources=((SupervisionItem, "unit_id"), (SupervisionItem, "recipient_unit_id")),
    demo=(demo.seed,), workspace_links=(("supervision.index", _l("督办件"), Action.SUPERVISION_READ, 30),),
    workbench=(
        Panel("supervision.mine", _l("我承办的督办件"), queries.workbench_mine, OFFICERS, rank=30,
              href=("supervision.index", {}), action=Action.SUPERVISION_READ),
        Panel("supervision.to_accept", _l("待验收的督办件"), queries.workbench_to_accept, LEADERS, rank=15,
              href=("supervision.index", {}), action=Action.SUPERVISION_ISSUE),
        Panel("supervision.received", _l("上级督办、交办"), queries.workbench_received, LEADERS, rank=40,
              href=("supervision.index", {}), action=Action.SUPERVISION_READ),
    ),
)
