"""The on-site meetings area's declaration for the app factory (core/areas.py): 巡察现场办公会, above villages (a tour
names its townships' villages), below evidence.

A county's inspection tours, their on-site meetings and the issues villagers raise are the county's own records; an
issue's close-out evidence is a file through the attachments floor."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.meetings import api, demo, jobs, operations, views
from core.meetings.models import InspectionTour, MeetingIssue
from tenants.access import Action


def install(app: Flask) -> None:
    # 附件: an issue's evidence of what was done (整改结果、答复群众的材料).
    # The township an issue is registered with reads and adds its files through its share.
    register_attachable(MeetingIssue, read=(Action.MEETINGS_READ, Action.MEETINGS_ASSIGNED),
                        attach=(Action.MEETINGS_MANAGE, Action.MEETINGS_ASSIGNED))


AREA = Area(
    "meetings", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    recounts=(operations.refresh_overdue,), figures=(("meetings.", operations.recount),),
    figure_sources=((InspectionTour, "unit_id"),), demo=(demo.seed,),
    workspace_links=(("meetings.index", _l("现场办公会"), Action.MEETINGS_READ, 57),
                     ("meetings.index", _l("现场办公会交办问题"), Action.MEETINGS_ASSIGNED, 57)), install=install,
)
