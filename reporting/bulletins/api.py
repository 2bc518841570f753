"""JSON API of bulletins (/api/v1/bulletins): those published to a unit, and one bulletin with its snapshot.

The URLs carry no unit: the reading unit is the one named (``?unit=``), else each unit the account
belongs to in turn, read as that unit so the auto-filter and RLS see the right context. A bulletin is
answered to the leaders and analysts of the unit it reports on and of that unit's parent; else 404.
"""
from __future__ import annotations

from dataclasses import replace

from flask import g, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core import context
from core.api import PAGING, UNIT_QUERY, api, documented
from core.extensions import db
from reporting.bulletins import operations as ops
from reporting.bulletins.models import KINDS, Bulletin
from reporting.bulletins.schemas import BulletinSchema, BulletinSummarySchema
from reporting.bulletins.views import load_bulletin, readable, reads_bulletins_of
from tenants.access import Action, can, deny, member_units
from tenants.models import Unit

TAG = "bulletins"
MAX_PER_PAGE = 200


def _act_at(unit: Unit) -> None:
    g.unit = unit
    context.activate(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session)


def _member_unit(unit_id) -> Unit:
    unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or not can(current_user, Action.WORKSPACE_ENTER, unit):
        deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=unit_id)
    return unit


def _dump(schema, bulletin: Bulletin, unit: Unit) -> dict:
    return schema.dump(bulletin) | {"page_url": url_for("bulletins.show", unit_id=unit.id, bulletin_id=bulletin.id)}


@api.get("/bulletins")
@documented("/bulletins", "get", "Bulletins published to a unit (`unit=<id>`: its own and its children's; "
            "without it, at every unit I belong to), newest first; `kind=weekly|monthly`, `page`, `per_page`. "
            "Leaders and analysts only", response=BulletinSummarySchema, envelope="page",
            query={**UNIT_QUERY, **PAGING, "kind": ({"type": "string", "enum": ["weekly", "monthly"]}, "kind")}, tag=TAG)
def bulletin_list():
    units = [_member_unit(request.args.get("unit", type=int))] if "unit" in request.args \
        else member_units(current_user)
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PER_PAGE)
    items, total = [], 0
    for unit in units:
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
            if not reads_bulletins_of(current_user, unit, unit):
                continue
            found, count = ops.published_to(unit, kind, page=page, per_page=per_page)
            items += [_dump(BulletinSummarySchema(), b, unit) for b in readable(found, unit)]
            total += count
    items.sort(key=lambda b: (b["published_at"] or "", b["id"]), reverse=True)
    return jsonify(items=items, total=total, page=page, per_page=per_page)


@api.get("/bulletins/<int:bulletin_id>")
@documented("/bulletins/{bulletin_id}", "get", "One bulletin with everything it shows, frozen when it was "
            "published: the unit's figures and the previous period's, the children ranked, coverage, late "
            "returns and overdue supervision items named. 404 unless I lead or analyse at its unit or its parent",
            response=BulletinSchema, tag=TAG)
def bulletin_detail(bulletin_id: int):
    for unit in member_units(current_user):
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
            about = db.session.scalar(select(Unit).join(Bulletin, Bulletin.unit_id == Unit.id).where(
                Bulletin.id == bulletin_id, (Bulletin.unit_id == unit.id) | (Bulletin.parent_unit_id == unit.id)))
            may_read = about is not None and reads_bulletins_of(current_user, unit, about)
        if may_read:
            _act_at(unit)
            return jsonify(_dump(BulletinSchema(), load_bulletin(bulletin_id, unit), unit))
    deny(Action.ROLLUPS_READ, object_type="bulletins", object_id=bulletin_id)
