"""HTML pages of exports (/u/<unit>/exports): start an export of a list, the account's exports with their
progress bars, one export, its status (polled by the bar) and its download."""
from __future__ import annotations

import io
from core import parameters

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from reporting.exports import operations as ops
from reporting.exports import queries
from reporting.exports.registry import EXPORTERS, Exporter, NotVisible
from reporting.exports.xlsx import MIME
from tenants.access import deny, ensure

bp = Blueprint("exports", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/exports")


@bp.app_template_global()
def export_params(kind: str) -> tuple[str, ...]:
    """The filter parameters an export of ``kind`` keeps (the list templates' export button sends those)."""
    exporter = EXPORTERS.get(kind)
    return exporter.params if exporter else ()


def _exporter(kind: str | None) -> Exporter:
    """The exporter of ``kind``, if the account may read that list here; else 404."""
    exporter = EXPORTERS.get(kind or "")
    if exporter is None:
        deny("exports.create", unit=g.unit, object_type="exports")
    ensure(current_user, exporter.action, g.unit, target=g.unit)
    return exporter


def _asked(args) -> tuple[Exporter, dict, int]:
    """What an export request names: its exporter, the list's filters and the rows they select."""
    exporter = _exporter(args.get("kind"))
    filters = exporter.clean(args)
    if exporter.check:
        exporter.check(g.unit, current_user, filters)
    try:
        total = exporter.count(g.unit, filters)
    except NotVisible:
        deny(exporter.action, unit=g.unit, object_type="exports")
    return exporter, filters, total


@bp.get("")
@login_required
def index(unit_id: int):
    if not queries.may_export_any(current_user, g.unit):
        deny("exports.read", unit=g.unit, object_type="unit", object_id=g.unit.id)
    return render_template("exports/index.html", unit=g.unit, exports=queries.own_exports(g.unit, current_user),
                           keep_days=parameters.get("EXPORT_KEEP_DAYS"))


@bp.get("/new")
@login_required
def confirm(unit_id: int):
    """The confirmation of an export asked for by a link (the list pages' button posts straight away)."""
    exporter, filters, total = _asked(request.args)
    return render_template("exports/new.html", unit=g.unit, exporter=exporter, filters=filters, total=total,
                           inline=total <= current_app.config["EXPORT_INLINE_ROWS"])


@bp.post("/new")
@login_required
def start(unit_id: int):
    """A small list comes back at once as the file; a bigger one becomes a job and its page."""
    exporter, filters, total = _asked(request.form)
    if total <= current_app.config["EXPORT_INLINE_ROWS"]:
        spool, _rows = ops.stream(exporter, g.unit, filters)
        return send_file(spool, mimetype=MIME, as_attachment=True, download_name=ops.filename(exporter, g.unit, filters))
    export = ops.request_export(exporter, g.unit, filters, total)
    # No flash: the export's page tells its state as it is when shown (on the embedded default the job has run
    # inline by then, and a "being generated" note would sit above "done").
    return redirect(url_for("exports.show", unit_id=unit_id, export_id=export.id))


@bp.get("/<int:export_id>")
@login_required
def show(unit_id: int, export_id: int):
    export, exporter = queries.load_own(export_id, g.unit, current_user)
    return render_template("exports/show.html", unit=g.unit, export=export, exporter=exporter)


@bp.get("/<int:export_id>/status")
@login_required
def status(unit_id: int, export_id: int):
    """What the progress bar polls: small, and never more than the export's own figures."""
    export, _exporter = queries.load_own(export_id, g.unit, current_user)
    return jsonify(state=export.state, state_label=export.state_label, running=export.running,
                   percent=export.percent, processed_rows=export.processed_rows, total_rows=export.total_rows)


@bp.post("/<int:export_id>/retry")
@login_required
def retry(unit_id: int, export_id: int):
    """A failed export is queued again, as the same export (one export, one file)."""
    export, exporter = queries.load_own(export_id, g.unit, current_user)
    if exporter.check:
        exporter.check(g.unit, current_user, export.filters)
    ops.retry(export)
    flash(_("已重新开始生成"), "success")
    return redirect(url_for("exports.show", unit_id=unit_id, export_id=export_id))


@bp.get("/<int:export_id>/download")
@login_required
def download(unit_id: int, export_id: int):
    export, _exporter = queries.load_own(export_id, g.unit, current_user)
    if export.state != "done":
        flash(_("文件尚未生成或已过期删除，请重新导出"), "error")
        return redirect(url_for("exports.show", unit_id=unit_id, export_id=export_id))
    return send_file(io.BytesIO(ops.content(export)), mimetype=MIME, as_attachment=True,
                     download_name=export.filename)
