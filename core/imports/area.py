"""The petition-ledger imports' declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from core.areas import Area
from core.imports import api, jobs
from core.imports.views import bp

# jobs: its records are tracked by core.jobs' stalled-job sweep.
AREA = Area("imports", blueprints=(bp,), api=(api, jobs))
