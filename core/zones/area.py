"""The collaboration zones' declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.zones import api, demo, jobs
from core.zones.models import InspectionFinding, JointMeeting
from core.zones.views import bp
from tenants.access import Action


def install(_app) -> None:
    # 附件: a joint meeting's papers (the convener's, read by the county), an inspection finding's evidence.
    register_attachable(JointMeeting, read=Action.ZONES_READ, attach=Action.ZONES_CONVENE)
    register_attachable(InspectionFinding, read=Action.ZONES_READ, attach=Action.ZONES_INSPECT)


AREA = Area(
    "zones", install=install, blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), demo=(demo.seed,),
    workspace_links=(("zones.index", _l("协作区"), Action.ZONES_READ, 60),),
)
