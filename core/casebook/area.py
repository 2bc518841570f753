"""The casebook area's declaration for the app factory (core/areas.py): 典型案例 · 指导案例, declared last (it reads the
casework areas' records: the names its anonymisation check compares, the records that name 参照案例).

A province's or city's guidance cases are inherited by its subtree; a proposal is the proposing unit's, shared with
the upper unit it is sent to; a record's 参照案例 panel sits on the clearing case's, lead's and petition's pages
through ``core.areas.RECORD_PANELS``; a case's document templates are files through the attachments floor."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import RECORD_PANELS, Area
from core.attachments.registry import register as register_attachable
from core.casebook import api, demo, operations, views
from core.casebook.models import CaseProposal, GuidanceCase
from tenants.access import Action


def install(app: Flask) -> None:
    # The 参照案例 panel of a clearing case's, a lead's and a petition's page (those areas import none of this one).
    RECORD_PANELS.register("casebook_references", views.record_panel)
    # 附件: the document templates' files (统一文书模板) of a case, kept by its publisher.
    register_attachable(GuidanceCase, read=Action.CASEBOOK_PUBLISH, attach=Action.CASEBOOK_PUBLISH)


AREA = Area(
    "casebook", blueprints=(views.bp,), api=(api,), figures=(("casebook.", operations.recount),),
    figure_sources=((GuidanceCase, "unit_id"), (CaseProposal, "unit_id")), demo=(demo.seed,),
    workspace_links=(("casebook.index", _l("典型案例"), Action.CASEBOOK_READ, 59),), install=install,
)
