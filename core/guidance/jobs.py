"""联系指导 has no periodic work: its figures move with each write (core.guidance.operations) and the nightly reconcile
recounts them (``operations.recount``); the rectification orders it raises are watched by supervision's own scan."""
from __future__ import annotations

PERIODIC: list = []
