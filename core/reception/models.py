"""The reception area's records."""
from __future__ import annotations
