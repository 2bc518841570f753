"""JSON API of exports (/api/v1/u/<unit>/exports): ask for an export of a list (always a job: 202), follow it,
download it.

An export belongs to its unit and to the account that asked for it: its URLs name the unit, the acting unit
(tenants.resolution, as for every /u/<unit>/ URL). The older forms without the unit (``/api/v1/exports``:
``unit`` in the body, or ``?unit=`` on the list, else each unit the account belongs to in turn, read as that
unit so the auto-filter and RLS see the right context) still answer as before; the OpenAPI document names
only the new ones.
"""
from __future__ import annotations

import io

from flask import g, jsonify, send_file, url_for
from flask_login import current_user

from core.api import api, documented, legacy_form, parse_json
from core.extensions import db
from reporting.exports import operations as ops
from reporting.exports import queries
from reporting.exports.models import Export
from reporting.exports.registry import EXPORTERS, NotVisible
from reporting.exports.schemas import ExportInSchema, ExportSchema
from reporting.exports.xlsx import MIME
from tenants.access import can, deny, ensure, member_units
from tenants.models import Unit
from tenants.resolution import act_at, member_unit, named_units, reading_at

TAG = "exports"
PREFIX, DOC = "/u/<int:unit_id>/exports", "/u/{unit_id}/exports"


def _dump(export: Export) -> dict:
    """The export as the unit-scoped form answers it: its file at the same form's URL, once ready."""
    answer = ExportSchema().dump(export)
    if answer["download_url"] is not None:
        answer["download_url"] = url_for("api.download_export_at_unit", unit_id=export.unit_id, export_id=export.id)
    return answer


class ExportAtUnitInSchema(ExportInSchema):
    """An export asked for at the URL's unit: the body names no unit (the older form's ``unit`` is ignored)."""

    class Meta(ExportInSchema.Meta):
        exclude = ("unit",)


def _exports_at(unit: Unit) -> list[Export]:
    """The account's exports at ``unit`` (read as it), of the lists it may still read there, newest first."""
    return [e for e in queries.own_exports(unit, current_user, limit=200)
            if e.kind in EXPORTERS and can(current_user, EXPORTERS[e.kind].action, unit, target=unit)]


def _request(unit: Unit, args: dict) -> Export:
    """Ask for the export at the acting ``unit``: 404 unless the account may read that list there."""
    exporter = EXPORTERS[args["kind"]]
    ensure(current_user, exporter.action, unit, target=unit)
    filters = exporter.clean(args["filters"])
    if exporter.check:
        exporter.check(unit, current_user, filters)
    try:
        total = exporter.count(unit, filters)
    except NotVisible:
        deny(exporter.action, unit=unit, object_type="exports")
    return ops.request_export(exporter, unit, filters, total)


def _file(export: Export):
    return send_file(io.BytesIO(ops.content(export)), as_attachment=True, download_name=export.filename,
                     mimetype=MIME)


def _retry(export: Export) -> Export:
    exporter = EXPORTERS[export.kind]
    if exporter.check:
        exporter.check(g.unit, current_user, export.filters)
    ops.retry(export)
    return export


def _own(export_id: int) -> Export:
    """The account's own export of the acting unit; else 404."""
    return queries.load_own(export_id, g.unit, current_user)[0]


@api.get(PREFIX)
@documented(DOC, "get", "My exports at the unit, newest first", response=ExportSchema, envelope="items", tag=TAG)
def list_exports_at_unit(unit_id: int):
    return jsonify(items=[_dump(e) for e in _exports_at(g.unit)])


@api.post(PREFIX)
@documented(DOC, "post", "Export a list of the unit to xlsx (a job whatever the size): answers 202 with the "
            "export; follow `state` and `processed_rows`, then fetch `download_url`. 404 unless the account may "
            "read that list there", body=ExportAtUnitInSchema, response=ExportSchema, tag=TAG,
            status=202)
def create_export_at_unit(unit_id: int):
    return jsonify(_dump(_request(g.unit, parse_json(ExportAtUnitInSchema())))), 202


@api.get(f"{PREFIX}/<int:export_id>")
@documented(f"{DOC}/{{export_id}}", "get", "One of my exports at the unit: its state and progress",
            response=ExportSchema, tag=TAG)
def get_export_at_unit(unit_id: int, export_id: int):
    return jsonify(_dump(_own(export_id)))


@api.get(f"{PREFIX}/<int:export_id>/download")
@documented(f"{DOC}/{{export_id}}/download", "get", "The finished file (xlsx); 409 while it is being written or "
            "once it has expired", content_type=MIME, tag=TAG)
def download_export_at_unit(unit_id: int, export_id: int):
    return _file(_own(export_id))


@api.post(f"{PREFIX}/<int:export_id>/retry")
@documented(f"{DOC}/{{export_id}}/retry", "post", "Queue a failed export again, as the same export (a job): 202; "
            "409 unless it failed", response=ExportSchema, tag=TAG, status=202)
def retry_export_at_unit(unit_id: int, export_id: int):
    return jsonify(_dump(_retry(_own(export_id)))), 202


# The older forms: no unit in the URL.


def _load(export_id: int) -> Export:
    """The account's own export, found at whichever of its units holds it (acting there from now on); else 404."""
    for unit in member_units(current_user):
        with reading_at(unit):
            found = db.session.scalar(db.select(Export.id).where(Export.id == export_id,
                                                                 Export.requested_by_id == current_user.id))
        if found is not None:
            act_at(unit)
            return _own(export_id)
    deny("exports.read", object_type="exports", object_id=export_id)


@api.get("/exports")
@legacy_form(of="api.list_exports_at_unit")
def list_exports():
    """``?unit=<id>``: as /u/<id>/exports; without it, at every unit the account belongs to."""
    units = named_units()
    items = []
    for unit in units:
        with reading_at(unit):
            items += _exports_at(unit)
    items.sort(key=lambda e: e.id, reverse=True)
    return jsonify(items=ExportSchema(many=True).dump(items))


@api.post("/exports")
@legacy_form(of="api.create_export_at_unit")
def create_export():
    """The unit is the body's ``unit``."""
    args = parse_json(ExportInSchema())
    unit = member_unit(args["unit"])
    act_at(unit)
    return jsonify(ExportSchema().dump(_request(unit, args))), 202


@api.get("/exports/<int:export_id>")
@legacy_form(of="api.get_export_at_unit")
def get_export(export_id: int):
    return jsonify(ExportSchema().dump(_load(export_id)))


@api.get("/exports/<int:export_id>/download")
@legacy_form(of="api.download_export_at_unit")
def download_export(export_id: int):
    return _file(_load(export_id))


@api.post("/exports/<int:export_id>/retry")
@legacy_form(of="api.retry_export_at_unit")
def retry_export(export_id: int):
    return jsonify(ExportSchema().dump(_retry(_load(export_id)))), 202
