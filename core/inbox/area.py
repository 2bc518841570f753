"""The inbox area's declaration for the app factory (core/areas.py): the shared floor, below every area."""
from __future__ import annotations

from core.areas import Area
from core.inbox import api
from core.inbox.views import bp

AREA = Area("inbox", blueprints=(bp,), api=(api,))
