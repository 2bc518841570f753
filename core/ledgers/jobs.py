"""Jobs of the ledgers: the workbook of a township's ledgers (``reports`` queue, progress and heartbeat on its
record, resumed once by the sweep if its worker dies), the daily recount of every township's completeness (a
ledger turns stale with the days, without any write) and the recount of the townships below a unit whose catalogue
changed (queued by the change)."""
from __future__ import annotations

from sqlalchemy import select

from core import calendar, context
from core.clock import utcnow
from core.extensions import db
from core.jobs import Periodic, Progress, across_units, claim, job, track
from core.ledgers import operations as ops
from core.ledgers import queries
from core.ledgers.models import WORKBOOK_RUNNING, LedgerWorkbook
from tenants.models import Unit


@job("reports", timeout=3600)
def build_workbook(unit_id: int, workbook_id: int, account_id: int) -> None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return
    context.activate(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path), db.session)
    if db.session.scalar(select(LedgerWorkbook.id).where(LedgerWorkbook.id == workbook_id,
                                                         LedgerWorkbook.unit_id == unit.id)) is None:
        return
    attempt = claim(LedgerWorkbook, workbook_id, ("queued",), state="running", started_at=utcnow(),
                    processed_rows=0, failure=None)
    if attempt is None:
        return
    with Progress(LedgerWorkbook, workbook_id, attempt) as progress:
        ops.build_workbook(db.session.get(LedgerWorkbook, workbook_id), unit, progress, attempt)


@job("maintenance", timeout=3600)
def refresh_completeness() -> dict:
    return across_units(lambda: ops.refresh_townships(calendar.today()))


@job("maintenance", timeout=3600)
def refresh_completeness_below(unit_id: int) -> dict:
    """The completeness of every township below a unit whose catalogue changed (a ledger added or archived there
    changes what each of them must keep: the figures follow at once, not at the next daily refresh)."""
    def work():
        unit = db.session.get(Unit, unit_id)
        towns = queries.townships_below(unit) if unit is not None else []
        for town in towns:
            ops.refresh(town, calendar.today())
        return {"townships": len(towns)}

    return across_units(work)


def _resume(workbook: LedgerWorkbook):
    workbook.state = "queued"
    return build_workbook, workbook.unit_id, workbook.id, workbook.requested_by_id


track(LedgerWorkbook, WORKBOOK_RUNNING, resume=_resume, fail=ops.stopped)

PERIODIC = [Periodic(refresh_completeness, "7 0 * * *")]
