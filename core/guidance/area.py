"""The guidance area's declaration for the app factory (core/areas.py): 联系指导, above ledgers (an office's page shows
its townships' ledger completeness), below casebook.

A county's 纪检监察室, the townships each guides, their regular meetings and guidance visits are the county's own
records; a visit's problems go down as supervision items; the townships' headline figures come from reporting through
``core.guidance.queries.GUIDANCE_FIGURES`` (reporting/area.py fills it)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.guidance import api, demo, jobs, operations, views
from core.guidance.models import GuidanceMeeting, GuidanceVisit
from tenants.access import Action

AREA = Area(
    "guidance", blueprints=(views.bp,), api=(api,), periodic=tuple(jobs.PERIODIC),
    figures=(("guidance.", operations.recount),),
    figure_sources=((GuidanceMeeting, "unit_id"), (GuidanceVisit, "unit_id")), demo=(demo.seed,),
    workspace_links=(("guidance.index", _l("联系指导"), Action.GUIDANCE_READ, 58),
                     ("guidance.offices", _l("纪检监察室分工"), Action.GUIDANCE_MANAGE, 58)),
)
