"""The inbox page of a unit, and the counts in every page's header."""
from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_login import current_user, login_required

from core import calendar
from core.extensions import db
from core.inbox.links import link_for
from core.inbox.queries import counts_for, open_items_for
from tenants.access import Action, can, ensure, roles_at

bp = Blueprint("inbox", __name__, template_folder="templates")

@bp.app_context_processor
def _inbox_counts():
    unit = g.get("unit")
    if unit is None or not current_user.is_authenticated or not can(current_user, Action.INBOX_READ, unit):
        return {}
    counts = counts_for(unit, {r.value for r in roles_at(current_user, unit)}, current_user.id)
    return {"inbox_counts": {"total": sum(counts.values()), "overdue": counts.get("overdue", 0)
                             + counts.get("escalation", 0), "due_soon": counts.get("due_soon", 0)}}


@bp.get("/u/<int:unit_id>/inbox")
@login_required
def index(unit_id: int):
    unit = g.unit
    ensure(current_user, Action.INBOX_READ, unit, target=unit)
    items = db.session.scalars(open_items_for(unit, {r.value for r in roles_at(current_user, unit)},
                                              current_user.id)).all()
    today = calendar.today()
    return render_template("inbox/index.html", unit=unit, items=items, link_for=link_for, today=today,
                           due_state=calendar.due_state, DUE_LABELS=calendar.DUE_STATE_LABELS)
