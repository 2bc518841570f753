"""HTML pages of renditions (/u/<unit>/renditions): a rendition's page (its state, the progress it polls, the
reason it failed), its status for the poll, and the PDF's download."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.documents import pdf_response
from core.renditions import operations as ops
from core.renditions.queries import load

bp = Blueprint("renditions", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/renditions")


@bp.get("/<int:rendition_id>")
@login_required
def show(unit_id: int, rendition_id: int):
    """``fetch``: opened by the "下载 PDF" link or the poll: a finished PDF downloads by itself."""
    rendition = load(rendition_id, g.unit, current_user)
    return render_template("renditions/show.html", unit=g.unit, rendition=rendition,
                           fetch=request.args.get("fetch") == "1")


@bp.get("/<int:rendition_id>/status")
@login_required
def status(unit_id: int, rendition_id: int):
    """What the page polls: small, and nothing of the document."""
    rendition = load(rendition_id, g.unit, current_user)
    done = url_for("renditions.show", unit_id=unit_id, rendition_id=rendition_id, fetch=1)
    return jsonify(state=rendition.state, state_label=rendition.state_label, running=rendition.running,
                   next_url=done if rendition.state == "done" else None)


@bp.get("/<int:rendition_id>/download")
@login_required
def download(unit_id: int, rendition_id: int):
    rendition = load(rendition_id, g.unit, current_user)
    if rendition.state != "done":
        return redirect(url_for("renditions.show", unit_id=unit_id, rendition_id=rendition_id))
    return pdf_response(ops.content(rendition), rendition.filename)
