"""Every write of exports: an export streamed at once, an export asked of a job, the job's work (the
workbook written row by row, then sealed), the download, and the clean-up of expired files.

The workbook is always streamed (reporting.exports.xlsx): each row is written into the file as it comes
from the list's query, never kept, so 100,000 rows take the memory of a few.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import timedelta
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from core import calendar, context, crypto, jobs
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core import parameters
from reporting.exports.models import Export
from reporting.exports.registry import Exporter
from reporting.exports.xlsx import SheetWriter
from tenants.models import Unit

# The job that writes a big export, queued by name: reporting.exports.jobs declares it and imports this module,
# never the reverse.
BUILD_JOB = "reporting.exports.jobs.build_export"


# ---------------------------------------------------------------- the workbook


def filename(exporter: Exporter, unit: Unit, filters: dict) -> str:
    return f"{unit.name}{exporter.heading(unit, filters)[0]}{calendar.today():%Y%m%d}.xlsx"


def write(exporter: Exporter, unit: Unit, filters: dict, target: IO[bytes], *,
          progress: Callable[[int], None] | None = None, every: int = 0) -> int:
    """Write the list's rows into ``target`` as an xlsx, calling ``progress(rows)`` every ``every`` rows;
    returns the number of data rows."""
    title, header = exporter.heading(unit, filters)
    writer = SheetWriter(target, title, header)
    for row in exporter.rows(unit, filters, calendar.today()):
        writer.append(row)
        if progress and every and writer.rows % every == 0:
            progress(writer.rows)
    writer.close()
    return writer.rows


def _audit(exporter: Exporter, unit: Unit, filters: dict, rows: int, *, export: Export | None = None) -> None:
    record("exports.create", unit_id=unit.id, object_type="exports", object_id=export.id if export else None,
           detail={"kind": exporter.kind, "filters": filters, "rows": rows, "inline": export is None})


def stream(exporter: Exporter, unit: Unit, filters: dict) -> tuple[IO[bytes], int]:
    """A small export, written here and now for the response: the file (rewound) and its rows."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # a big file goes to disk, not memory
    rows = write(exporter, unit, filters, spool)
    spool.seek(0)
    _audit(exporter, unit, filters, rows)
    return spool, rows


# ---------------------------------------------------------------- an export as a job


def request_export(exporter: Exporter, unit: Unit, filters: dict, total: int) -> Export:
    """Record the export and queue its job (after the commit, so the worker finds it)."""
    account_id = context.current().account_id
    export = Export(unit_id=unit.id, unit_path=unit.path, kind=exporter.kind, filters=filters,
                    requested_by_id=account_id, state="queued", total_rows=total, processed_rows=0,
                    filename=filename(exporter, unit, filters))
    db.session.add(export)
    db.session.flush()
    _audit(exporter, unit, filters, total, export=export)
    jobs.enqueue_after_commit(BUILD_JOB, unit.id, export.id, account_id)
    return export


def _settle(export_id: int, attempt: int, **values) -> bool:
    """Write the outcome of ``attempt``, unless the sweep has given the export to another attempt meanwhile
    (whose outcome stands: one export, one file). Whether it was written."""
    finished = utcnow()
    return db.session.execute(
        update(Export).where(Export.id == export_id, Export.attempts == attempt, Export.state == "running")
        .values(finished_at=finished, **values).execution_options(synchronize_session=False)).rowcount == 1


def build(export: Export, exporter: Exporter, unit: Unit, progress: Callable[[int], None], attempt: int) -> bool:
    """The job's work, once its job has claimed the export as ``attempt`` (``running``, committed, so the page
    shows the bar): write the workbook to a temporary file, seal it into the export, and say so. The rows are
    read in one transaction (one consistent view of the list) while ``progress`` writes the count elsewhere.
    Whether this attempt's file is the export's."""
    export_id, filters, associated = export.id, export.filters, _associated(export)
    every = current_app.config["EXPORT_PROGRESS_EVERY"]
    try:
        with tempfile.TemporaryFile() as spool:
            rows = write(exporter, unit, filters, spool, progress=progress, every=every)
            size = spool.tell()
            spool.seek(0)
            sealed = crypto.seal_file(spool, associated)
    except Exception:
        db.session.rollback()
        _settle(export_id, attempt, state="failed", failure=_("生成文件时出错，请重试；如仍失败请缩小筛选范围或联系管理员"))
        db.session.commit()
        raise
    return _settle(export_id, attempt, content=sealed, size=size, total_rows=rows, processed_rows=rows, state="done",
                   expires_at=utcnow() + timedelta(days=parameters.get("EXPORT_KEEP_DAYS")))


def retry(export: Export) -> None:
    """A failed export (its job stopped, or could not write the file) is queued again, as the same export."""
    if export.state != "failed":
        raise Conflict(_("只有生成失败的导出可以重试：%(state)s", state=export.state_label),
                       detail={"current_state": export.state})
    export.state, export.processed_rows, export.failure, export.finished_at = "queued", 0, None, None
    jobs.queued(export)
    jobs.enqueue_after_commit(BUILD_JOB, export.unit_id, export.id, context.current().account_id)


def stopped(export: Export, reason: str) -> None:
    """The sweep's verdict on an export whose job stopped (core.jobs names the cause)."""
    export.state, export.finished_at = "failed", utcnow()
    export.failure = _("%(reason)s，文件未生成；请点击“重试”重新生成", reason=reason)


# ---------------------------------------------------------------- the sealed file


def _associated(export: Export) -> bytes:
    return f"exports:{export.unit_id}:{export.id}:content".encode()


def unseal(blob: bytes, associated: bytes) -> bytes:
    try:
        return crypto.unseal_file(blob, associated)
    except crypto.UnknownKey:
        raise InvalidInput({"export": [_("文件的加密密钥已不可用，请重新导出")]}) from None
    except crypto.DecryptionError:
        raise InvalidInput({"export": [_("存储的文件已损坏，请重新导出")]}) from None


def content(export: Export) -> bytes:
    """The finished file, for its download (audited)."""
    if export.state != "done" or export.content is None:
        raise Conflict(_("文件尚未生成或已过期删除：%(state)s", state=export.state_label),
                       detail={"current_state": export.state})
    data = unseal(export.content, _associated(export))
    record("exports.download", unit_id=export.unit_id, object_type="exports", object_id=export.id,
           detail={"kind": export.kind, "rows": export.total_rows})
    return data


# ---------------------------------------------------------------- clean-up


def purge(now=None) -> dict[str, int]:
    """Drop the files of expired exports (the record stays: nothing is hard-deleted). Run across units by the
    periodic job; an export whose job stopped is core.jobs.sweep_stalled's."""
    now = now or utcnow()
    expired = db.session.execute(
        update(Export).where(Export.state == "done", Export.expires_at < now)
        .values(state="expired", content=None).execution_options(synchronize_session=False)).rowcount
    return {"expired": expired}
