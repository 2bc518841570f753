"""Reads of supervision items for the pages and the API: the loaders of an item (and of one of its problems)
for a request, and which side of an item may take which step."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from core.extensions import db
from core.supervision.models import SupervisionItem, SupervisionProblem
from core.supervision.workflow import ITEM_FLOW
from tenants.access import Action, can, deny
from tenants.models import Unit
from tenants.scoping import load_scoped
from tenants.workbench import PANEL_ROWS, Row, flag_of, window

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


# ---------------------------------------------------------------- the workbench's panels (tenants.workbench)

# The receiving unit's next step from each state, and the issuer's (the item's page holds their forms).
RECIPIENT_NEXT = {"issued": ("receive", _l("签收")), "received": ("progress", _l("报送进展")),
                  "in_progress": ("done", _l("报办结"))}
ISSUER_NEXT = {"reported_done": ("accept", _l("验收"))}
_ITEM_COLUMNS = (SupervisionItem.id, SupervisionItem.number, SupervisionItem.title, SupervisionItem.state,
                 SupervisionItem.due_on, SupervisionItem.created_at)


def _item_rows(stmt, unit: Unit, account, next_steps: dict, action: Action) -> list[Row]:
    w = window()
    may = can(account, action, unit)
    out = []
    for r in db.session.execute(stmt):
        href = url_for("supervision.show", unit_id=unit.id, item_id=r.id)
        step = next_steps.get(r.state)
        out.append(Row(label=r.number, href=href, text=r.title, state=ITEM_FLOW.label(r.state), due_on=r.due_on,
                       flag=flag_of(r.due_on, r.created_at, w), key=("supervision_items", r.id),
                       step=(str(step[1]), f"{href}#step-{step[0]}") if step and may else None))
    return out


def workbench_mine(unit: Unit, account) -> list[Row]:
    """我承办的督办件: items received from above that the account handles, due soon, overdue or new."""
    w = window()
    return _item_rows(select(*_ITEM_COLUMNS).where(
        SupervisionItem.recipient_unit_id == unit.id, SupervisionItem.handler_id == account.id,
        SupervisionItem.state.in_(("issued", "received", "in_progress")),
        or_(SupervisionItem.due_on <= w.horizon, SupervisionItem.created_at >= w.since))
        .order_by(SupervisionItem.due_on.is_(None), SupervisionItem.due_on, SupervisionItem.id).limit(PANEL_ROWS),
        unit, account, RECIPIENT_NEXT, Action.SUPERVISION_HANDLE)


def workbench_received(unit: Unit, account) -> list[Row]:
    """上级督办、交办: the open items the unit received from above, soonest deadline first."""
    return _item_rows(select(*_ITEM_COLUMNS).where(
        SupervisionItem.recipient_unit_id == unit.id, SupervisionItem.unit_id != unit.id,
        SupervisionItem.state.in_(("issued", "received", "in_progress")))
        .order_by(SupervisionItem.due_on.is_(None), SupervisionItem.due_on, SupervisionItem.id).limit(PANEL_ROWS),
        unit, account, RECIPIENT_NEXT, Action.SUPERVISION_HANDLE)


def workbench_to_accept(unit: Unit, account) -> list[Row]:
    """待验收: items the unit issued that the receiver reported done."""
    return _item_rows(select(*_ITEM_COLUMNS).where(
        SupervisionItem.unit_id == unit.id, SupervisionItem.state == "reported_done")
        .order_by(SupervisionItem.due_on.is_(None), SupervisionItem.due_on, SupervisionItem.id).limit(PANEL_ROWS),
        unit, account, ISSUER_NEXT, Action.SUPERVISION_ISSUE)
