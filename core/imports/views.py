"""HTML pages of imports under the unit's petitions: upload, the column mapping, the progress of the dry run
and of the commit (a bar that polls the status endpoint), the problems row by row, the commit button."""
from __future__ import annotations


from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput
from core.extensions import db
from core.imports import operations as ops
from core.imports.models import ImportJob
from core.imports.queries import load_import
from tenants.access import Action, ensure

bp = Blueprint("imports", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/petitions/imports")


def _index(errors=None, status: int = 200):
    jobs = db.session.scalars(select(ImportJob).where(ImportJob.unit_id == g.unit.id)
                              .options(selectinload(ImportJob.created_by))
                              .order_by(ImportJob.id.desc()).limit(50)).all()
    return render_template("imports/index.html", unit=g.unit, jobs=jobs, errors=errors, fields=ops.FIELDS,
                           max_mb=ops.MAX_BYTES // (1024 * 1024), max_rows=ops.MAX_ROWS), status


@bp.get("")
@login_required
def index(unit_id: int):
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, target=g.unit)
    return _index()


@bp.post("")
@login_required
def upload(unit_id: int):
    ensure(current_user, Action.PETITIONS_REGISTER, g.unit, target=g.unit)
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise InvalidInput({"file": [_("请选择要上传的文件")]})
        job = ops.upload(g.unit, file.filename, file.read())
    except InvalidInput as exc:
        db.session.rollback()
        return _index(exc.errors, 422)
    flash(_("已上传“%(name)s”，请核对各字段对应的列", name=job.filename), "success")
    return redirect(url_for("imports.show", unit_id=unit_id, import_id=job.id))


def _detail(job: ImportJob, *, errors=None, form_mapping: dict | None = None, status: int = 200):
    mapping = form_mapping if form_mapping is not None else (job.mapping or ops.suggest_mapping(job.headers))
    return render_template(
        "imports/detail.html", unit=g.unit, job=job, fields=ops.FIELDS, mapping=mapping, errors=errors,
        can_map=ops.may_map(job), kept=ops.KEPT_ERRORS), status


@bp.get("/<int:import_id>")
@login_required
def show(unit_id: int, import_id: int):
    return _detail(load_import(import_id, g.unit, current_user))


@bp.post("/<int:import_id>/mapping")
@login_required
def mapping(unit_id: int, import_id: int):
    """Save the mapping and start the dry run straight away: the mapping is only ever saved to be checked."""
    job = load_import(import_id, g.unit, current_user)
    chosen = {f.key: request.form.get(f"map_{f.key}", "") for f in ops.FIELDS}
    try:
        ops.save_mapping(job, g.unit, chosen, expected_version=request.form.get("version", type=int))
        ops.request_check(job)
    except InvalidInput as exc:
        db.session.rollback()
        return _detail(load_import(import_id, g.unit, current_user), errors=exc.errors, form_mapping=chosen,
                       status=422)
    return redirect(url_for("imports.show", unit_id=unit_id, import_id=import_id))


@bp.post("/<int:import_id>/commit")
@login_required
def commit(unit_id: int, import_id: int):
    job = load_import(import_id, g.unit, current_user)
    ops.request_commit(job, expected_version=request.form.get("version", type=int))
    flash(_("已开始导入，全部成功才会写入"), "success")
    return redirect(url_for("imports.show", unit_id=unit_id, import_id=import_id))


@bp.post("/<int:import_id>/retry")
@login_required
def retry(unit_id: int, import_id: int):
    """An import that failed (its job stopped, or its file could not be read) is checked again."""
    job = load_import(import_id, g.unit, current_user)
    ops.retry(job, expected_version=request.form.get("version", type=int))
    flash(_("已重新开始检查"), "success")
    return redirect(url_for("imports.show", unit_id=unit_id, import_id=import_id))


@bp.get("/<int:import_id>/status")
@login_required
def status(unit_id: int, import_id: int):
    """What the progress bar polls: small, and never more than the import's own figures."""
    job = load_import(import_id, g.unit, current_user)
    return jsonify(state=job.state, state_label=job.state_label, running=job.running, percent=job.percent,
                   processed_rows=job.processed_rows, total_rows=job.total_rows)
