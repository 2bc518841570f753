"""The renditions area's declaration for the app factory (core/areas.py): on the shared floor, so that every
area issuing a document (and reporting's bulletins) hands its Word bytes here for the PDF."""
from __future__ import annotations

from core.areas import Area
from core.renditions import jobs
from core.renditions.views import bp

# jobs: the conversion job and its stalled-job sweep are declared by importing it.
AREA = Area("renditions", blueprints=(bp,), api=(jobs,))
