"""RQ jobs of exports: writing a big export (``reports`` queue) and dropping expired files (periodic).

The export job takes ids, acts as the requesting account at the export's unit (so RLS admits that
unit's rows and nothing else), and does nothing unless the export is still queued: delivered twice,
or queued by a request that then rolled back, it finds nothing to do.
"""
from __future__ import annotations

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from core import context
from core.extensions import db
from core.jobs import Periodic, across_units, inline_mode, job
from reporting.exports import operations as ops
from reporting.exports.models import Export
from reporting.exports.registry import EXPORTERS
from tenants.models import Unit


def after_commit(func, *ids) -> None:
    """Queue ``func`` once the request's transaction commits, so the worker finds the export it recorded."""
    if inline_mode():
        func.enqueue(*ids)  # core.jobs runs it after the request's commit
    else:
        event.listen(db.session(), "after_commit", lambda _session: func.enqueue(*ids), once=True)


class Progress:
    """Writes the rows done so far where the export's page can see them while the job's read is still open:
    an UPDATE on a connection of its own, committed at once. Only for a worker's job on PostgreSQL
    (inline, the request returns when the job is done; SQLite has one writer at a time)."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.enabled = not inline_mode() and db.engine.dialect.name != "sqlite"

    def __call__(self, rows: int) -> None:
        if not self.enabled:
            return
        with Session(db.engine) as session, session.begin():  # begins with the job's acting context (RLS)
            session.execute(update(Export).where(Export.id == self.export_id)
                            .values(processed_rows=rows).execution_options(synchronize_session=False))


@job("reports", timeout=3600)
def build_export(unit_id: int, export_id: int, account_id: int) -> None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return
    context.activate(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path), db.session)
    export = db.session.scalar(select(Export).where(Export.id == export_id, Export.unit_id == unit.id,
                                                    Export.state == "queued"))
    if export is None or export.kind not in EXPORTERS:
        return
    ops.build(export, EXPORTERS[export.kind], unit, Progress(export_id))


@job("maintenance", timeout=600)
def purge_exports() -> dict:
    return across_units(ops.purge)


PERIODIC = [Periodic(purge_exports, "25 * * * *")]
