"""The cases area's declaration for the app factory (core/areas.py): 审查调查 with 镇案县审 and 处分执行, above leads
(a case opens from a lead through leads' FOLLOW_UPS), below zones."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.cases import api, demo, jobs, operations, queries, views
from core.cases.models import Case
from core.cases.workflow import OPEN
from core.handlers.registry import HANDLED, HandledType
from core.leads.workflow import FOLLOW_UPS
from core.petitions.workflow import Conversion
from tenants.access import Action
from tenants.workbench import LEADERS, OFFICERS, RECORD_ROLES, Panel


def install(app: Flask) -> None:
    # 附件: the case's papers (谈话笔录, 证据材料, 处分决定书, 送达回证 …).
    # The county reviewing a township's case (镇案县审) reads its papers, as its leaders do while they watch a late
    # execution: the purposes' readers (queries.READ_THROUGH), the same who open the case through its share.
    register_attachable(Case, read=Action.CASES_READ, attach=Action.CASES_HANDLE, shared_read=queries.READ_THROUGH)
    # 承办人: open until its execution is complete; overdue while its review or an execution step is late.
    HANDLED.register(Case.__tablename__, HandledType(
        Case, _l("审查调查案件"), Action.CASES_HANDLE, Action.CASES_READ,
        open_clause=lambda: Case.state.in_(OPEN), overdue_clause=queries.overdue_clause,
        is_open=lambda case: case.state in OPEN, title=lambda case: case.number,
        list_endpoint="cases.index", open_args={"open": "1"}, detail_endpoint="cases.show",
        detail_args=lambda case: {"case_id": case.id}))
    # The lead's page: the case it became, or the button opening one (leads does not import cases).
    FOLLOW_UPS.register("cases", Conversion(
        _l("审查调查"), find=queries.case_of_lead, title=lambda case: case.number, href=views.lead_case_url,
        convert_url=views.lead_open_url))


AREA = Area(
    "cases", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    recounts=(operations.refresh_overdue,), figures=(("cases.", operations.recount),),
    figure_sources=((Case, "unit_id"),), demo=(demo.seed,),
    workspace_links=(("cases.index", _l("审查调查"), Action.CASES_READ, 56),), install=install,
    workbench=(
        Panel("cases.reviews", _l("待审理的案件"), queries.workbench_reviews, RECORD_ROLES, rank=12,
              href=("cases.reviews", {}), action=Action.CASES_REVIEW),
        Panel("cases.decisions", _l("待作出决定的案件"), queries.workbench_decisions, LEADERS, rank=14,
              href=("cases.index", {"state": "agreed"}), action=Action.CASES_DECIDE),
        Panel("cases.mine", _l("我承办的案件"), queries.workbench_mine, OFFICERS, rank=24,
              href=("cases.index", {"open": "1", "handler": "me"}), action=Action.CASES_READ),
    ),
)
