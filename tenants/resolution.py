"""Tenant resolution: the acting unit comes from the URL (``/u/<unit_id>/...``, ``/api/v1/u/<unit_id>/...``).

A URL names its unit, so switching units is navigation and every page is bookmarkable.
The account must hold a membership there; otherwise the answer is 404. The older API forms that name
their unit in the query or body (or mean every unit of the account) resolve it here too: ``member_unit``,
then ``act_at``; ``reading_at`` reads as one unit for a moment while they try each in turn.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

from flask import g, request, session
from flask_login import current_user

from core import context
from core.extensions import db
from core.identity.models import LoginSession
from core.schemas import bounded_int
from tenants.access import Action, can, deny, member_units
from tenants.models import Unit


WORKSPACE_PREFIXES = ("/u/<int:unit_id>", "/api/v1/u/<int:unit_id>")


def resolve_acting_unit():
    rule = request.url_rule.rule if request.url_rule else ""
    if not rule.startswith(WORKSPACE_PREFIXES):
        return None
    unit_id = request.view_args["unit_id"]
    if not current_user.is_authenticated:
        return None  # the view's login_required answers (redirect or 401)
    unit = member_unit(unit_id)
    if not request.path.startswith("/api/"):
        session["last_unit_id"] = unit.id
    login_session = current_user.authenticated_by
    if isinstance(login_session, LoginSession) and login_session.last_unit_id != unit.id:
        login_session.last_unit_id = unit.id  # 在线用户 shows where each session acts (written on a change only)
    act_at(unit)
    return None


def member_unit(unit_id) -> Unit:
    """The unit ``unit_id`` names, if the account belongs there (WORKSPACE_ENTER); else 404, as for anything
    missing. ``unit_id`` is the URL's, or what an older API form read from its query or body (not an int: 404)."""
    unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or not can(current_user, Action.WORKSPACE_ENTER, unit):
        deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=unit_id)
    return unit


def act_at(unit: Unit) -> None:
    """Act at ``unit`` for the rest of the request: the views' ``g.unit`` and the acting context of the ORM filter
    and row-level security together. The one place that sets them; the caller has checked the membership (a
    /u/<unit>/ URL above, or an API route that takes its unit from the request and asks ``can`` first)."""
    g.unit = unit
    context.activate(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session)


def named_units() -> list[Unit]:
    """The units an older API form (without ``/u/<unit>/`` in its URL) means: the one its query or JSON body
    names as ``unit`` (or ``unit_id``), 404 unless the account belongs there; else every unit of the account."""
    body = request.get_json(silent=True) if request.method in ("POST", "PATCH", "PUT") else None
    for source in (request.args, body if isinstance(body, dict) else {}):
        for key in ("unit", "unit_id"):
            if source.get(key) not in (None, ""):
                try:
                    return [member_unit(bounded_int(source.get(key)))]
                except (TypeError, ValueError):
                    deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=str(source.get(key))[:32])
    return member_units(current_user)


@contextmanager
def reading_at(unit: Unit):
    """Read as ``unit`` inside the block (the ORM filter and row-level security see it), then as before: an
    older API form that tries each unit of the account in turn, before it acts at the one that answers."""
    with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
        yield


def acting_unit() -> Unit:
    return g.unit
