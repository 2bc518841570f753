"""Every write of renditions: a PDF asked for (found in the cache by the document and the digest of its Word
bytes, or recorded and queued), the job's conversion, a failed one asked for again, and the download."""
from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import context, crypto, jobs
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.renditions.convert import ConversionFailed, ConverterMissing, to_pdf
from core.renditions.models import DocumentRendition
from tenants.models import Unit

log = logging.getLogger(__name__)

# The job that converts, queued by name: core.renditions.jobs declares it and imports this module.
CONVERT_JOB = "core.renditions.jobs.convert_rendition"


def _associated(rendition: DocumentRendition, part: str) -> bytes:
    return f"document_renditions:{rendition.unit_id}:{rendition.id}:{part}".encode()


def _find(unit: Unit, kind: str, object_id: int, digest: str) -> DocumentRendition | None:
    return db.session.scalar(select(DocumentRendition).where(
        DocumentRendition.unit_id == unit.id, DocumentRendition.kind == kind,
        DocumentRendition.object_id == object_id, DocumentRendition.digest == digest))


def request_pdf(unit: Unit, kind: str, object_id: int, docx: bytes, filename: str, action: str) -> DocumentRendition:
    """The PDF of this very Word document (``kind`` of record ``object_id``, as ``unit`` issues it): the one made
    before, the one being made, or a new rendition whose job is queued after the commit. A failed one is tried
    again. ``action``: what reading the document takes, asked again of whoever opens the rendition."""
    digest = crypto.sm3_hex(docx)
    rendition = _find(unit, kind, object_id, digest)
    if rendition is None:
        account_id = context.current().account_id
        try:
            with db.session.begin_nested():
                rendition = DocumentRendition(unit_id=unit.id, unit_path=unit.path, kind=kind, object_id=object_id,
                                              digest=digest, action=str(action), filename=filename,
                                              requested_by_id=account_id, state="queued")
                db.session.add(rendition)
                db.session.flush()
                rendition.source = crypto.seal_file(docx, _associated(rendition, "source"))
                db.session.flush()
        except IntegrityError:  # asked twice at once: the other request's rendition is this one
            return _find(unit, kind, object_id, digest)
        record("renditions.create", unit_id=unit.id, object_type="document_renditions", object_id=rendition.id,
               detail={"kind": kind, "object_id": object_id})
        jobs.enqueue_after_commit(CONVERT_JOB, unit.id, rendition.id, account_id)
    elif rendition.state == "failed":
        retry(rendition, docx)
    return rendition


def retry(rendition: DocumentRendition, docx: bytes) -> None:
    """A failed conversion (no converter then, or the job stopped) queued again, as the same rendition."""
    if rendition.state != "failed":
        raise Conflict(_("只有转换失败的文件可以重试：%(state)s", state=rendition.state_label),
                       detail={"current_state": rendition.state})
    rendition.state, rendition.failure, rendition.finished_at = "queued", None, None
    rendition.source = crypto.seal_file(docx, _associated(rendition, "source"))
    jobs.queued(rendition)
    record("renditions.retry", unit_id=rendition.unit_id, object_type="document_renditions", object_id=rendition.id,
           detail={"kind": rendition.kind, "object_id": rendition.object_id})
    jobs.enqueue_after_commit(CONVERT_JOB, rendition.unit_id, rendition.id, context.current().account_id)


def _settle(rendition_id: int, attempt: int, **values) -> bool:
    """Write the outcome of ``attempt`` unless the sweep has given the rendition to another attempt meanwhile."""
    return db.session.execute(
        update(DocumentRendition).where(DocumentRendition.id == rendition_id, DocumentRendition.attempts == attempt,
                                        DocumentRendition.state == "running")
        .values(finished_at=utcnow(), **values).execution_options(synchronize_session=False)).rowcount == 1


def convert(rendition: DocumentRendition, attempt: int) -> bool:
    """The job's work once it has claimed the rendition as ``attempt``: the sealed Word file converted, the PDF
    sealed in its place. No converter, or none that gives a PDF: failed, saying so in words the page shows.
    Whether this attempt's outcome is the rendition's."""
    rendition_id = rendition.id
    try:
        docx = crypto.unseal_file(rendition.source, _associated(rendition, "source"))
        pdf = to_pdf(docx)
    except ConverterMissing:
        log.warning("rendition %s: no PDF converter on this machine's PATH", rendition_id)
        return _settle(rendition_id, attempt, state="failed", failure=_(
            "服务器未安装 PDF 转换程序，暂时无法生成 PDF。请先下载 Word 版本打印，或请系统管理员安装转换程序后重试。"))
    except (ConversionFailed, crypto.DecryptionError) as exc:
        log.warning("rendition %s: conversion failed: %s", rendition_id, exc)
        return _settle(rendition_id, attempt, state="failed",
                       failure=_("转换为 PDF 时出错，请重试；如仍失败请下载 Word 版本或联系系统管理员。"))
    sealed = crypto.seal_file(pdf, _associated(rendition, "content"))
    return _settle(rendition_id, attempt, state="done", content=sealed, size=len(pdf), source=None)


def stopped(rendition: DocumentRendition, reason: str) -> None:
    """The sweep's verdict on a rendition whose job stopped (core.jobs names the cause)."""
    rendition.state, rendition.finished_at = "failed", utcnow()
    rendition.failure = _("%(reason)s，PDF 未生成；请重新点击“下载 PDF”", reason=reason)


def content(rendition: DocumentRendition) -> bytes:
    """The PDF, for its download (audited)."""
    if rendition.state != "done" or rendition.content is None:
        raise Conflict(_("PDF 尚未生成：%(state)s", state=rendition.state_label),
                       detail={"current_state": rendition.state})
    try:
        data = crypto.unseal_file(rendition.content, _associated(rendition, "content"))
    except crypto.DecryptionError:
        raise InvalidInput({"rendition": [_("存储的 PDF 已损坏或密钥已不可用，请重新生成")]}) from None
    record("renditions.download", unit_id=rendition.unit_id, object_type="document_renditions",
           object_id=rendition.id, detail={"kind": rendition.kind, "object_id": rendition.object_id})
    return data
