"""What an area's "下载 PDF" route answers (the areas keep their own routes: they load the record and check who
may read it): the PDF at once when it was made from these very Word bytes, else the rendition's page, which
follows the conversion and then downloads it."""
from __future__ import annotations

from flask import Response, redirect, url_for

from core.documents import pdf_response
from core.renditions import operations as ops
from tenants.models import Unit


def pdf_download(unit: Unit, kind: str, object_id: int, docx: bytes, filename: str, action) -> Response:
    rendition = ops.request_pdf(unit, kind, object_id, docx, filename, str(action))
    if rendition.state == "done":
        return pdf_response(ops.content(rendition), rendition.filename)
    return redirect(url_for("renditions.show", unit_id=unit.id, rendition_id=rendition.id, fetch=1))
