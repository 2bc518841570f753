"""Tenant resolution: the acting unit comes from the URL (``/u/<unit_id>/...``).

A URL names its unit, so switching units is navigation and every page is bookmarkable.
The account must hold a membership there; otherwise the answer is 404.
"""
from __future__ import annotations

from dataclasses import replace

from flask import g, request, session
from flask_login import current_user

from core import context
from core.extensions import db
from tenants.access import Action, can, deny
from tenants.models import Unit


WORKSPACE_PREFIXES = ("/u/<int:unit_id>", "/api/v1/u/<int:unit_id>")


def resolve_acting_unit():
    rule = request.url_rule.rule if request.url_rule else ""
    if not rule.startswith(WORKSPACE_PREFIXES):
        return None
    unit_id = request.view_args["unit_id"]
    if not current_user.is_authenticated:
        return None  # the view's login_required answers (redirect or 401)
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can(current_user, Action.WORKSPACE_ENTER, unit):
        deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=unit_id)
    if not request.path.startswith("/api/"):
        session["last_unit_id"] = unit.id
    act_at(unit)
    return None


def act_at(unit: Unit) -> None:
    """Act at ``unit`` for the rest of the request: the views' ``g.unit`` and the acting context of the ORM filter
    and row-level security together. The one place that sets them; the caller has checked the membership (a
    /u/<unit>/ URL above, or an API route that takes its unit from the request and asks ``can`` first)."""
    g.unit = unit
    context.activate(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session)


def acting_unit() -> Unit:
    return g.unit
