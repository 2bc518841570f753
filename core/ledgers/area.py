"""The ledgers area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from core.areas import Area

AREA = Area("ledgers")
