"""The collaboration zones' declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.zones import api, demo, jobs
from core.zones.views import bp
from tenants.access import Action

AREA = Area(
    "zones", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), demo=(demo.seed,),
    workspace_links=(("zones.index", _l("协作区"), Action.ZONES_READ, 60),),
)
