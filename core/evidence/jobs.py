"""Periodic work of remote evidence: none yet. Its figures move with each write (no time-based figure: an interview
has no deadline of its own), and the nightly reconcile recounts them through ``operations.recount``."""
from __future__ import annotations

PERIODIC: list = []
