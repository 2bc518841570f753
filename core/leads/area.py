"""The leads area's declaration for the app factory (core/areas.py): 问题线索, above zeroing, below zones."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.handlers.registry import HANDLED, HandledType
from core.leads import api, demo, jobs, operations, queries, views
from core.leads.models import Lead
from core.leads.workflow import OPEN, follow_ups_of
from core.petitions.workflow import CONVERSIONS, Conversion
from tenants.access import Action
from tenants.workbench import RECORD_ROLES, Panel


def install(app: Flask) -> None:
    app.jinja_env.globals["lead_follow_ups"] = follow_ups_of  # the lead's page: 立案 and what else is made of it
    # 附件: the lead's materials (a lead carries no informant, nor do its files).
    register_attachable(Lead, read=Action.LEADS_READ, attach=(Action.LEADS_REGISTER, Action.LEADS_DISPOSE))
    # 承办人: open while waiting for a disposal or shelved; overdue past its deadline or review date.
    HANDLED.register(Lead.__tablename__, HandledType(
        Lead, _l("问题线索"), Action.LEADS_DISPOSE, Action.LEADS_READ,
        open_clause=lambda: Lead.state.in_(queries.HANDLER_OPEN),
        overdue_clause=lambda today: Lead.state.in_(OPEN) & (Lead.due_on < today),
        is_open=lambda lead: lead.state in queries.HANDLER_OPEN, title=lambda lead: lead.number,
        list_endpoint="leads.index", open_args={"open": "1"}, detail_endpoint="leads.show",
        detail_args=lambda lead: {"lead_id": lead.id}))
    # The petition's page: the lead it became, or the button converting it (petitions does not import leads).
    CONVERSIONS.register("leads", Conversion(
        _l("问题线索"), find=queries.lead_of_petition, title=lambda lead: lead.number, href=views.petition_lead_url,
        convert_url=views.petition_convert_url))


AREA = Area(
    "leads", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    recounts=(operations.refresh_overdue, operations.refresh_report_late), figures=(("leads.", operations.recount),),
    # A unit with a monthly report has its figures (leads.reports.submitted): its stats rows bring it to the recount.
    figure_sources=((Lead, "unit_id"),), demo=(demo.seed,),
    workspace_links=(("leads.index", _l("问题线索"), Action.LEADS_READ, 55),
                     ("leads.reports", _l("问题线索月报备"), Action.LEAD_REPORTS_READ, 56),
                     ("leads.funnel", _l("一个漏斗"), Action.LEADS_FUNNEL, 57)), install=install,
    workbench=(
        Panel("leads.to_assign", _l("待分派的问题线索"), queries.workbench_to_assign, RECORD_ROLES, rank=13,
              href=("leads.funnel", {}), action=Action.LEAD_TRACKS_DECIDE),
        Panel("leads.to_approve", _l("待审批的分派"), queries.workbench_to_approve, RECORD_ROLES, rank=11,
              href=("leads.funnel", {}), action=Action.LEAD_TRACKS_APPROVE),
    ),
)
