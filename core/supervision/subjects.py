"""The records a supervision item may concern (挂号督办, 三期检查), found by their official number.

Supervision sits on the shared floor and imports no higher area: petitions and clearing register their
record models here when the app starts (their ``area.install``), in the declared order of the areas."""
from __future__ import annotations

from core.areas import Registry

# table name -> mapped model with ``unit_id``, ``number`` and ``label``
SUBJECTS = Registry("supervision subjects")
