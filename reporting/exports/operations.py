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

from core import calendar, context, crypto
from core.audit.operations import record
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.extensions import db
from reporting.exports.models import RUNNING, Export
from reporting.exports.registry import Exporter
from reporting.exports.xlsx import SheetWriter
from tenants.models import Unit

# Twice the job's timeout: an export still queued or running after this has lost its worker.
STALLED_AFTER = timedelta(hours=2)


# ---------------------------------------------------------------- the workbook


def filename(exporter: Exporter, unit: Unit) -> str:
    return f"{unit.name}{exporter.title}{calendar.today():%Y%m%d}.xlsx"


def write(exporter: Exporter, unit: Unit, filters: dict, target: IO[bytes], *,
          progress: Callable[[int], None] | None = None, every: int = 0) -> int:
    """Write the list's rows into ``target`` as an xlsx, calling ``progress(rows)`` every ``every`` rows;
    returns the number of data rows."""
    writer = SheetWriter(target, str(exporter.title), exporter.header())
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
    from reporting.exports import jobs

    account_id = context.current().account_id
    export = Export(unit_id=unit.id, unit_path=unit.path, kind=exporter.kind, filters=filters,
                    requested_by_id=account_id, state="queued", total_rows=total, processed_rows=0,
                    filename=filename(exporter, unit))
    db.session.add(export)
    db.session.flush()
    _audit(exporter, unit, filters, total, export=export)
    jobs.after_commit(jobs.build_export, unit.id, export.id, account_id)
    return export


def build(export: Export, exporter: Exporter, unit: Unit, progress: Callable[[int], None]) -> None:
    """The job's work: write the workbook to a temporary file, seal it into the export, and say so.

    ``running`` is committed first so the page shows the bar; the rows are then read in one
    transaction (one consistent view of the list) while ``progress`` writes the count elsewhere.
    """
    export_id = export.id
    export.state, export.started_at, export.processed_rows, export.failure = "running", utcnow(), 0, None
    db.session.commit()
    every = current_app.config["EXPORT_PROGRESS_EVERY"]
    try:
        with tempfile.TemporaryFile() as spool:
            rows = write(exporter, unit, export.filters, spool, progress=progress, every=every)
            size = spool.tell()
            spool.seek(0)
            sealed = crypto.seal_file(spool, _associated(export))
    except Exception:
        db.session.rollback()
        failed = db.session.get(Export, export_id)
        failed.state, failed.finished_at = "failed", utcnow()
        failed.failure = _("生成文件时出错，请重试；如仍失败请缩小筛选范围或联系管理员")
        db.session.commit()
        raise
    export = db.session.get(Export, export_id)
    export.content, export.size = sealed, size
    export.total_rows = export.processed_rows = rows
    export.state, export.finished_at = "done", utcnow()
    export.expires_at = export.finished_at + timedelta(days=current_app.config["EXPORT_KEEP_DAYS"])


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
    """Drop the files of expired exports (the record stays: nothing is hard-deleted), and fail the exports
    whose job was lost. Run across units by the periodic job."""
    now = now or utcnow()
    expired = db.session.execute(
        update(Export).where(Export.state == "done", Export.expires_at < now)
        .values(state="expired", content=None).execution_options(synchronize_session=False)).rowcount
    lost = db.session.execute(
        update(Export).where(Export.state.in_(RUNNING), Export.updated_at < now - STALLED_AFTER)
        .values(state="failed", finished_at=now, failure=_("导出任务中断，请重新导出"))
        .execution_options(synchronize_session=False)).rowcount
    return {"expired": expired, "lost": lost}
