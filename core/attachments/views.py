"""HTML of attachments: the panel every record's page includes (the Jinja global ``attachments_panel``, so no
area imports this module), the upload (several files; app.js adds drag and drop and a progress bar), the preview
of images and PDFs in the page, the download, the archive with a reason, and the reveal of a file identifying
the informant (intake and leaders, with a reason, for ``REVEAL_MINUTES``)."""
from __future__ import annotations

import time
from types import SimpleNamespace

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core.attachments import operations as ops
from core.attachments import queries
from core.attachments.responses import file_response
from core.attachments.kinds import KINDS
from core.attachments.models import Attachment
from core.errors import wants_json
from core.inbox.links import link_for
from tenants.access import Action, deny

bp = Blueprint("attachments", __name__, template_folder="templates", url_prefix="/u/<int:unit_id>/attachments")
REVEAL_MINUTES = 15
_REVEALED = "revealed_attachments"


# ---------------------------------------------------------------- the panel of a record's page


def panel(record, title: str | None = None) -> Markup:
    """The files section of ``record``'s page at the acting unit (empty where its files do not travel);
    ``title`` names a record shown within another's page (a visit, a progress report), folded."""
    unit = g.get("unit")
    reached = queries.reach(record, unit, current_user) if unit is not None and record is not None else None
    if reached is None or not queries.may_read(reached, current_user, unit):
        return Markup("")
    files = queries.files_of(reached)
    return Markup(render_template(
        "attachments/_panel.html", unit=unit, record=record, reached=reached, files=files, kinds=KINDS,
        archived=queries.files_of(reached, archived=True) if reached.own else [],
        revealed=_revealed_ids(), may_attach=queries.may_attach(reached, current_user, unit),
        may_archive=lambda f: queries.may_archive(f, reached, current_user, unit),
        may_reveal=lambda f: queries.may_reveal(f, reached, current_user, unit),
        back=_panel_back(record, reached, unit), informant_marking=reached.entry.informant and reached.own,
        title=title))


def _panel_back(record, reached, unit) -> str:
    """Where the page goes after an upload: this page; but a page answering a POST (a refused step's form) is the
    record's own page, so that reloading after the upload never sends the refused form again."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    page = link_for(SimpleNamespace(object_type=reached.entry.key, object_id=record.id), unit.id)
    return page or url_for("workspace.unit_home", unit_id=unit.id)


def _revealed_ids() -> set[int]:
    now = time.time()
    kept = {key: until for key, until in session.get(_REVEALED, {}).items() if until > now}
    if kept != session.get(_REVEALED, {}):
        session[_REVEALED] = kept
    return {int(key) for key in kept}


def _back(default: str) -> str:
    """Back to the record's page the form came from (a path of the acting unit only), else ``default``."""
    back = request.form.get("back", "")
    return back if back.startswith(f"/u/{g.unit.id}/") and "//" not in back and "\\" not in back else default


# ---------------------------------------------------------------- upload


@bp.post("")
@login_required
def upload(unit_id: int):
    reached = queries.load_for_upload(request.form.get("record_type"), request.form.get("record_id"), unit=g.unit,
                                      account=current_user)
    stored = ops.upload_all(reached.record, request.files.getlist("file"), acting_unit=g.unit,
                            informant=request.form.get("informant") == "1")
    if wants_json():
        return jsonify(uploaded=len(stored)), 201
    flash(_("已上传 %(n)s 个附件", n=len(stored)), "success")
    return redirect(_back(url_for("workspace.unit_home", unit_id=g.unit.id)) + "#attachments")


# ---------------------------------------------------------------- reading


def _allowed_file(file_id: int) -> tuple[Attachment, queries.Reach]:
    attachment, reached = queries.load_file(file_id, unit=g.unit, account=current_user)
    if attachment.informant and attachment.id not in _revealed_ids():
        deny(Action.INFORMANT_REVEAL, unit=g.unit, object_type="attachments", object_id=attachment.id)
    return attachment, reached


@bp.get("/<int:file_id>")
@login_required
def download(unit_id: int, file_id: int):
    attachment, _reached = _allowed_file(file_id)
    return file_response(attachment, "download")


@bp.get("/<int:file_id>/preview")
@login_required
def preview(unit_id: int, file_id: int):
    attachment, _reached = _allowed_file(file_id)
    if not KINDS[attachment.kind].preview:
        deny(Action.RECORDS_READ, unit=g.unit, object_type="attachments", object_id=attachment.id)
    return file_response(attachment, "preview")


# ---------------------------------------------------------------- archive and reveal


@bp.post("/<int:file_id>/archive")
@login_required
def archive(unit_id: int, file_id: int):
    attachment, reached = queries.load_file(file_id, unit=g.unit, account=current_user)
    if not queries.may_archive(attachment, reached, current_user, g.unit):
        deny(reached.entry.attach[0], unit=g.unit, object_type="attachments", object_id=attachment.id)
    ops.archive(attachment, request.form.get("reason"))
    flash(_("附件已归档（文件仍保存，可在“已归档附件”中查看）"), "success")
    return redirect(_back(url_for("workspace.unit_home", unit_id=g.unit.id)) + "#attachments")


@bp.post("/<int:file_id>/reveal")
@login_required
def reveal(unit_id: int, file_id: int):
    attachment, reached = queries.load_file(file_id, unit=g.unit, account=current_user)
    if not queries.may_reveal(attachment, reached, current_user, g.unit):
        deny(Action.INFORMANT_REVEAL, unit=g.unit, object_type="attachments", object_id=attachment.id)
    ops.reveal(attachment, request.form.get("reason"))
    revealed = {key: until for key, until in session.get(_REVEALED, {}).items() if until > time.time()}
    revealed[str(attachment.id)] = time.time() + REVEAL_MINUTES * 60
    session[_REVEALED] = revealed
    flash(_("已记录查看事由；%(n)s 分钟内可预览、下载该附件", n=REVEAL_MINUTES), "success")
    return redirect(_back(url_for("workspace.unit_home", unit_id=g.unit.id)) + "#attachments")
