"""JSON API of imports (/api/v1/u/<unit>/imports): upload a sheet, map its columns, dry run, commit.

The dry run and the commit are jobs: their calls answer 202 and the import's ``state``,
``processed_rows`` and ``total_rows`` tell how far it has got.
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.api import api, documented, parse_json
from core.errors import InvalidInput
from core.extensions import db
from core.imports import operations as ops
from core.imports.models import ImportJob
from core.imports.queries import load_import
from core.imports.schemas import ImportJobListItemSchema, ImportJobSchema, MappingInSchema, StepInSchema
from tenants.access import Action, ensure

PREFIX, DOC = "/u/<int:unit_id>/imports", "/u/{unit_id}/imports"
ONE, ONE_DOC = f"{PREFIX}/<int:import_id>", f"{DOC}/{{import_id}}"


@api.get(PREFIX)
@documented(DOC, "get", "The unit's imports, newest first", response=ImportJobListItemSchema, envelope="items",
            tag="imports")
def list_imports(unit_id: int):
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, target=g.unit)
    jobs = db.session.scalars(select(ImportJob).where(ImportJob.unit_id == g.unit.id)
                              .order_by(ImportJob.id.desc()).limit(200)).all()
    return jsonify(items=ImportJobListItemSchema(many=True).dump(jobs))


@api.post(PREFIX)
@documented(DOC, "post", "Upload a petition ledger (multipart/form-data, field `file`: .xlsx or .csv, at most "
            "50 MB); answers with its column titles and a suggested mapping", response=ImportJobSchema,
            tag="imports", status=201)
def upload_import(unit_id: int):
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, target=g.unit)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput({"file": [_("请选择要上传的文件")]})
    job = ops.upload(g.unit, upload.filename or "", upload.read())
    return jsonify(ImportJobSchema().dump(job)), 201


@api.get(ONE)
@documented(ONE_DOC, "get", "One import: mapping, progress, the dry run's problems, the result",
            response=ImportJobSchema, tag="imports")
def get_import(unit_id: int, import_id: int):
    return jsonify(ImportJobSchema().dump(load_import(import_id, g.unit, current_user)))


@api.post(f"{ONE}/mapping")
@documented(f"{ONE_DOC}/mapping", "post", "Set the column mapping (field -> column title); 422 names every "
            "required field left unmapped", body=MappingInSchema, response=ImportJobSchema, tag="imports")
def map_import(unit_id: int, import_id: int):
    job = load_import(import_id, g.unit, current_user)
    args = parse_json(MappingInSchema())
    ops.save_mapping(job, g.unit, args["mapping"], expected_version=args["version"])
    return jsonify(ImportJobSchema().dump(job))


@api.post(f"{ONE}/check")
@documented(f"{ONE_DOC}/check", "post", "Start the dry run (a job): every row is checked and nothing is "
            "written; 409 unless the mapping is set", body=StepInSchema, response=ImportJobSchema, tag="imports",
            status=202)
def check_import(unit_id: int, import_id: int):
    job = load_import(import_id, g.unit, current_user)
    args = parse_json(StepInSchema())
    ops.request_check(job, expected_version=args["version"])
    return jsonify(ImportJobSchema().dump(job)), 202


@api.post(f"{ONE}/commit")
@documented(f"{ONE_DOC}/commit", "post", "Import every row (a job, all or nothing); 409 unless the dry run "
            "was clean", body=StepInSchema, response=ImportJobSchema, tag="imports", status=202)
def commit_import(unit_id: int, import_id: int):
    job = load_import(import_id, g.unit, current_user)
    args = parse_json(StepInSchema())
    ops.request_commit(job, expected_version=args["version"])
    return jsonify(ImportJobSchema().dump(job)), 202


@api.post(f"{ONE}/retry")
@documented(f"{ONE_DOC}/retry", "post", "Check a failed import again from the start, with its mapping (a job); "
            "409 unless it failed", body=StepInSchema, response=ImportJobSchema, tag="imports", status=202)
def retry_import(unit_id: int, import_id: int):
    job = load_import(import_id, g.unit, current_user)
    args = parse_json(StepInSchema())
    ops.retry(job, expected_version=args["version"])
    return jsonify(ImportJobSchema().dump(job)), 202
