"""JSON API of exports (/api/v1/exports): ask for an export of a list (always a job: 202), follow it, download it.

An export belongs to its unit and to the account that asked for it. The URLs carry no unit: the
acting unit is the one named (``unit`` in the body, or ``?unit=`` on the list), else each unit the
account belongs to is tried in turn, read as that unit so the auto-filter and RLS see the right context.
"""
from __future__ import annotations

import io
from dataclasses import replace

from flask import g, jsonify, request, send_file
from flask_login import current_user

from core import context
from core.api import UNIT_QUERY, api, documented, parse_json
from core.extensions import db
from reporting.exports import operations as ops
from reporting.exports import queries
from reporting.exports.models import Export
from reporting.exports.registry import EXPORTERS, NotVisible
from reporting.exports.schemas import ExportInSchema, ExportSchema
from reporting.exports.xlsx import MIME
from tenants.access import Action, can, deny, ensure, member_units
from tenants.models import Unit

TAG = "exports"


def _act_at(unit: Unit) -> None:
    """Act at ``unit`` for the rest of the request, as a /u/<unit>/ URL would."""
    g.unit = unit
    context.activate(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session)


def _member_unit(unit_id) -> Unit:
    """A unit the account belongs to (WORKSPACE_ENTER), named by the caller; else 404."""
    unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or not can(current_user, Action.WORKSPACE_ENTER, unit):
        deny(Action.WORKSPACE_ENTER, object_type="unit", object_id=unit_id)
    return unit


def _load(export_id: int) -> Export:
    """The account's own export, found at whichever of its units holds it (acting there from now on); else 404."""
    for unit in member_units(current_user):
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
            found = db.session.scalar(db.select(Export.id).where(Export.id == export_id,
                                                                 Export.requested_by_id == current_user.id))
        if found is not None:
            _act_at(unit)
            return queries.load_own(export_id, unit, current_user)[0]
    deny("exports.read", object_type="exports", object_id=export_id)


@api.get("/exports")
@documented("/exports", "get", "My exports, newest first: at the unit `?unit=<id>`, else at every unit I belong to",
            response=ExportSchema, envelope="items", query=UNIT_QUERY, tag=TAG)
def list_exports():
    named = request.args.get("unit", type=int)
    units = [_member_unit(named)] if "unit" in request.args else member_units(current_user)
    items = []
    for unit in units:
        with context.acting(replace(context.current(), unit_id=unit.id, unit_path=unit.path), db.session):
            items += [e for e in queries.own_exports(unit, current_user, limit=200)
                      if e.kind in EXPORTERS and can(current_user, EXPORTERS[e.kind].action, unit, target=unit)]
    items.sort(key=lambda e: e.id, reverse=True)
    return jsonify(items=ExportSchema(many=True).dump(items))


@api.post("/exports")
@documented("/exports", "post", "Export a list to xlsx at a unit (a job whatever the size): answers 202 with the "
            "export; follow `state` and `processed_rows`, then fetch `download_url`. 404 unless the account may "
            "read that list there", body=ExportInSchema, response=ExportSchema, tag=TAG, status=202)
def create_export():
    args = parse_json(ExportInSchema())
    unit = _member_unit(args["unit"])
    _act_at(unit)
    exporter = EXPORTERS[args["kind"]]
    ensure(current_user, exporter.action, unit, target=unit)
    filters = exporter.clean(args["filters"])
    if exporter.check:
        exporter.check(unit, current_user, filters)
    try:
        total = exporter.count(unit, filters)
    except NotVisible:
        deny(exporter.action, unit=unit, object_type="exports")
    export = ops.request_export(exporter, unit, filters, total)
    return jsonify(ExportSchema().dump(export)), 202


@api.get("/exports/<int:export_id>")
@documented("/exports/{export_id}", "get", "One of my exports: its state and progress", response=ExportSchema,
            tag=TAG)
def get_export(export_id: int):
    return jsonify(ExportSchema().dump(_load(export_id)))


@api.get("/exports/<int:export_id>/download")
@documented("/exports/{export_id}/download", "get", "The finished file (xlsx); 409 while it is being written or "
            "once it has expired", content_type=MIME, tag=TAG)
def download_export(export_id: int):
    export = _load(export_id)
    return send_file(io.BytesIO(ops.content(export)), as_attachment=True, download_name=export.filename,
                     mimetype=MIME)


@api.post("/exports/<int:export_id>/retry")
@documented("/exports/{export_id}/retry", "post", "Queue a failed export again, as the same export (a job): 202; "
            "409 unless it failed", response=ExportSchema, tag=TAG, status=202)
def retry_export(export_id: int):
    export = _load(export_id)
    exporter = EXPORTERS[export.kind]
    if exporter.check:
        exporter.check(g.unit, current_user, export.filters)
    ops.retry(export)
    return jsonify(ExportSchema().dump(export)), 202
