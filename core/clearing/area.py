"""The clearing area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.clearing import api, demo, jobs, operations, queries
from core.clearing.models import ClearingCandidate, ClearingCase, ClearingVisit
from core.clearing.views import bp
from core.petitions.workflow import UNFOUNDED_FOLLOW_UPS, FollowUp
from core.clearing.workflow import OPEN
from core.handlers.registry import HANDLED, HandledType
from core.supervision.subjects import SUBJECTS
from tenants.access import Action
from tenants.workbench import LEADERS, OFFICERS, Panel


def install(_app: Flask) -> None:
    SUBJECTS.register(ClearingCase.__tablename__, ClearingCase)  # 挂号督办 and 三期检查 of a clearing case
    for model in (ClearingCase, ClearingVisit):  # 附件: the case's papers, a visit's record
        register_attachable(model, read=Action.CLEARING_READ, attach=Action.CLEARING_HANDLE)
    # A petition concluded 不属实 puts the accused person in the owner's pool.
    UNFOUNDED_FOLLOW_UPS.register("clearing_candidates", FollowUp(record=operations.candidate_from_petition,
                                                                  find=queries.candidate_of_petition))
    # 承办人 of a case: open until filed or declined; overdue past the current step's deadline.
    HANDLED.register(ClearingCase.__tablename__, HandledType(
        ClearingCase, _l("澄清正名件"), Action.CLEARING_HANDLE, Action.CLEARING_READ,
        open_clause=lambda: ClearingCase.state.in_(OPEN),
        overdue_clause=lambda today: ClearingCase.state.in_(OPEN) & (ClearingCase.due_on < today),
        is_open=lambda case: case.state in OPEN, title=lambda case: case.number,
        list_endpoint="clearing.index", list_args=lambda unit: {"kind": "clearing"}, detail_endpoint="clearing.case",
        detail_args=lambda case: {"case_id": case.id}))


AREA = Area(
    "clearing", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.refresh_overdue,),
    figures=(("clearing.", operations.recount),),
    figure_sources=((ClearingCase, "unit_id"), (ClearingCandidate, "unit_id")),
    demo=(demo.seed,), workspace_links=(("clearing.index", _l("澄清正名"), Action.CLEARING_READ, 10),), install=install,
    workbench=(
        Panel("clearing.mine", _l("我承办的澄清件"), queries.workbench_mine, OFFICERS, rank=20,
              href=("clearing.index", {}), action=Action.CLEARING_READ),
        Panel("clearing.decisions", _l("待审批的澄清件"), queries.workbench_decisions, LEADERS, rank=10,
              href=("clearing.index", {}), action=Action.CLEARING_DECIDE),
    ),
)
