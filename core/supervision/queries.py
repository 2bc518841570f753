"""Reads of supervision items for the pages and the API: the loaders of an item (and of one of its problems)
for a request, and which side of an item may take which step."""
from __future__ import annotations

from core.supervision.models import SupervisionItem, SupervisionProblem
from tenants.access import Action, deny
from tenants.models import Unit
from tenants.scoping import load_scoped

# Which side may take which step; the workflow checks the state.
ISSUER_STEPS = {"accept", "send_back", "close"}
RECIPIENT_STEPS = {"receive", "progress", "done"}


def load_item(item_id, unit: Unit, account) -> tuple[SupervisionItem, bool]:
    """The item and whether the acting unit is its issuer (else its recipient); else 404."""
    item = load_scoped(SupervisionItem, item_id, unit=unit, account=account, action=Action.SUPERVISION_READ)
    return item, item.unit_id == unit.id


def load_problem(item: SupervisionItem, problem_id, unit: Unit, account) -> SupervisionProblem:
    """One of the item's problems (整改问题); 404 for any other."""
    problem = load_scoped(SupervisionProblem, problem_id, unit=unit, account=account, action=Action.SUPERVISION_READ)
    if problem.item_id != item.id:
        deny(Action.SUPERVISION_READ, unit=unit, object_type="supervision_problems", object_id=problem_id)
    return problem
