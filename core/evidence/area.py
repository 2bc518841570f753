"""The remote evidence area's declaration for the app factory (core/areas.py): 远程取证, above leads, cases and
villages, below zones."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import RECORD_PANELS, Area
from core.attachments.registry import register as register_attachable
from core.cases.models import Case
from core.evidence import api, demo, jobs, operations, views
from core.evidence.models import RemoteInterview
from core.evidence.workflow import SubjectType, register_subject
from core.leads.models import Lead
from core.petitions.models import Petition
from tenants.access import Action


def install(app: Flask) -> None:
    # The page of a lead, a case or a petition shows its interviews among its ``record_panels(record)`` (those areas
    # sit below this one and import none of it).
    RECORD_PANELS.register("remote_interviews", views.subject_panel)
    # 附件: the full recording and the signed transcript (and any other material) of an interview; a finalised
    # interview takes no new file and archives none (core.evidence.operations guards Attachment).
    register_attachable(RemoteInterview, read=Action.EVIDENCE_READ, attach=Action.EVIDENCE_CONDUCT)
    # The records an interview belongs to; a higher area (or cases, when its models are there) adds one entry.
    register_subject(SubjectType("leads", _l("问题线索"), Lead, Action.LEADS_READ, lambda lead: lead.number,
                                 "leads.show", lambda lead: {"lead_id": lead.id}))
    register_subject(SubjectType("petitions", _l("信访举报件核查"), Petition, Action.PETITIONS_READ,
                                 lambda petition: petition.number, "petitions.show",
                                 lambda petition: {"petition_id": petition.id}))
    register_subject(SubjectType("cases", _l("审查调查案件"), Case, Action.CASES_READ, lambda case: case.number,
                                 "cases.show", lambda case: {"case_id": case.id}))


AREA = Area(
    "evidence", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    figures=(("evidence.", operations.recount),), figure_sources=((RemoteInterview, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("evidence.index", _l("远程取证"), Action.EVIDENCE_READ, 58),),
    install=install,
)
