"""The answer carrying a stored file (download or preview), for the pages and the API alike: streamed, with a
damaged file refused (409, audited by the operation)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, jsonify, render_template, stream_with_context
from flask_babel import gettext as _

from core.attachments import operations as ops
from core.attachments.kinds import KINDS
from core.attachments.models import Attachment
from core.errors import wants_json


def _disposition(kind: str, filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in "._-" else "_" for c in filename) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def file_response(attachment: Attachment, purpose: str) -> Response:
    """The plain file streamed back; a damaged one answers 409 (audited by the operation)."""
    try:
        segments = ops.read(attachment, purpose)
    except ops.Damaged:
        return _damaged_answer()
    response = Response(stream_with_context(segments), mimetype=KINDS[attachment.kind].mime)
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["Content-Disposition"] = _disposition("inline" if purpose == "preview" else "attachment",
                                                           attachment.filename)
    if purpose == "preview":
        # Shown in the record's page (a PDF in a frame of the same origin), never in another site's; a PDF keeps
        # the browser's viewer, an image needs nothing.
        response.headers["Content-Security-Policy"] = ("frame-ancestors 'self'" if attachment.kind == "pdf"
                                                       else "default-src 'none'; frame-ancestors 'self'")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _damaged_answer():
    message = _("附件校验未通过：存储的文件已损坏或被改动，不予下载。此事已记入审计日志，请联系系统管理员从备份恢复。")
    if wants_json():
        return jsonify(error=_("附件已损坏"), message=message), 409
    return render_template("error.html", code=409, title=_("附件已损坏"), messages=[message]), 409
