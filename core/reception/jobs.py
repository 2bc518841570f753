"""The reception room's jobs: none periodic. Its figures move with each write (operations); the rota's coverage
is a figure of the days themselves, recounted nightly by reporting's reconcile through ``operations.recount``."""
from __future__ import annotations

PERIODIC: tuple = ()
