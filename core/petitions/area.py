"""The petitions area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.petitions import api, demo, jobs, operations
from core.petitions.models import Petition
from core.petitions.views import petitions_bp
from core.supervision.subjects import SUBJECTS
from tenants.access import Action


def install(_app: Flask) -> None:
    SUBJECTS.register(Petition.__tablename__, Petition)  # 挂号督办 of a petition, found by its number


AREA = Area(
    "petitions", blueprints=(petitions_bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(jobs.refresh_overdue,),
    figures=(("petitions.", operations.recount),), figure_sources=((Petition, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("petitions.index", _l("信访举报"), Action.PETITIONS_READ, 40),), install=install,
)
