"""RQ jobs of exports: writing a big export (``reports`` queue) and dropping expired files (periodic).

The export job takes ids, acts as the requesting account at the export's unit (so RLS admits that
unit's rows and nothing else), and claims the export while it is queued (core.jobs.claim): delivered
twice, or queued by a request that then rolled back, it finds nothing to do. It beats on the export while
it writes; a worker that dies leaves it beating no more, and the sweep (core.jobs.sweep_stalled) queues it
again once, or fails it, whose page then offers a retry. Only the attempt that holds the export writes its
file (reporting.exports.operations.build), so one export has one file whatever ran.
"""
from __future__ import annotations

from sqlalchemy import select

from core import context
from core.clock import utcnow
from core.extensions import db
from core.jobs import Periodic, Progress, across_units, claim, job, track
from reporting.exports import operations as ops
from reporting.exports.models import RUNNING, Export
from reporting.exports.registry import EXPORTERS
from tenants.models import Unit


@job("reports", timeout=3600)
def build_export(unit_id: int, export_id: int, account_id: int) -> None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return
    context.activate(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path), db.session)
    kind = db.session.scalar(select(Export.kind).where(Export.id == export_id, Export.unit_id == unit.id))
    if kind not in EXPORTERS:
        return
    attempt = claim(Export, export_id, ("queued",), state="running", started_at=utcnow(), processed_rows=0,
                    failure=None)
    if attempt is None:
        return
    with Progress(Export, export_id, attempt) as progress:
        ops.build(db.session.get(Export, export_id), EXPORTERS[kind], unit, progress, attempt)


@job("maintenance", timeout=600)
def purge_exports() -> dict:
    return across_units(ops.purge)


def _resume(export: Export):
    export.state = "queued"
    return build_export, export.unit_id, export.id, export.requested_by_id


track(Export, RUNNING, resume=_resume, fail=ops.stopped)

PERIODIC = [Periodic(purge_exports, "25 * * * *")]
