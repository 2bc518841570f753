"""The attachments area's declaration for the app factory (core/areas.py): on the shared floor."""
from __future__ import annotations

from core.areas import Area

AREA = Area("attachments")
