"""The clearing area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.clearing import api, demo, jobs, operations, queries
from core.clearing.models import ClearingCandidate, ClearingCase
from core.clearing.views import bp
from core.petitions.workflow import UNFOUNDED_FOLLOW_UPS, FollowUp
from core.supervision.subjects import SUBJECTS
from tenants.access import Action


def install(_app: Flask) -> None:
    SUBJECTS.register(ClearingCase.__tablename__, ClearingCase)  # 挂号督办 and 三期检查 of a clearing case
    # A petition concluded 不属实 puts the accused person in the owner's pool.
    UNFOUNDED_FOLLOW_UPS.register("clearing_candidates", FollowUp(record=operations.candidate_from_petition,
                                                                  find=queries.candidate_of_petition))


AREA = Area(
    "clearing", blueprints=(bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(operations.refresh_overdue,),
    figures=(("clearing.", operations.recount),),
    figure_sources=((ClearingCase, "unit_id"), (ClearingCandidate, "unit_id")),
    demo=(demo.seed,), workspace_links=(("clearing.index", _l("澄清正名"), Action.CLEARING_READ, 10),), install=install,
)
