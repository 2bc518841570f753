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
    g.unit = unit
    if not request.path.startswith("/api/"):
        session["last_unit_id"] = unit.id
    context.activate(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session)
    return None


def acting_unit() -> Unit:
    return g.unit
