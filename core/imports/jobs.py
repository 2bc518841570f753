"""RQ jobs of imports: the dry run and the commit, on the ``imports`` queue, under a memory limit.

Each takes ids, acts as the importing account at the import's unit (so RLS admits exactly that unit's
rows), claims the import (core.jobs.claim: one attempt at a time, a job delivered twice finds nothing to
do) and beats on it while it works. A worker that dies leaves the import beating no more: the sweep
(core.jobs.sweep_stalled) queues the step again once, or fails the import, whose page then offers a retry.
A commit is one transaction, so a dead attempt left nothing; a second run of a commit waits for the first
at the unit's number counter and then finds it done (core.imports.operations.commit).
"""
from __future__ import annotations

from sqlalchemy import select

from core import context
from core.errors import InvalidInput
from core.extensions import db
from core.imports import operations as ops
from core.imports.models import ImportJob
from core.imports.workflow import RUNNING
from core.jobs import Progress, claim, job, track
from core.workflow import TransitionRecord
from tenants.models import Unit


def _run(step, unit_id: int, import_id: int, account_id: int | None, state: str) -> None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return
    context.activate(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path), db.session)
    if not db.session.scalar(select(ImportJob.id).where(ImportJob.id == import_id, ImportJob.unit_id == unit.id)):
        return
    attempt = claim(ImportJob, import_id, (state,))
    if attempt is None:
        return  # not (or no longer) in the state that asked for this job, or another job has it
    fault = None
    with Progress(ImportJob, import_id, attempt) as progress:
        try:
            step(db.session.get(ImportJob, import_id), unit, progress=progress)
            return
        except ops.Superseded:
            db.session.rollback()
            return
        except (InvalidInput, ops.ImportRefused, MemoryError) as exc:  # the sheet, not a fault
            reason = ops.failure_reason(exc)
        except Exception as exc:
            reason, fault = ops.failure_reason(exc), exc
    # Out of the except block: the failed attempt's objects (a sheet that ran out of memory) are gone.
    db.session.rollback()  # all or nothing: not one row of a failed commit stays
    import_job = db.session.get(ImportJob, import_id)
    if (import_job.state, import_job.attempts) != (state, attempt):
        return  # the sweep gave the import to another attempt meanwhile: its outcome stands
    ops.record_failure(import_job, reason)
    db.session.commit()
    if fault is not None:
        raise fault  # a fault, not the sheet: the failed-job registry shows it too


@job("imports", timeout=3600, memory_mb=ops.MEMORY_MB)
def check_import(unit_id: int, import_id: int, account_id: int | None) -> None:
    """The dry run of an import in ``checking``."""
    _run(ops.check, unit_id, import_id, account_id, "checking")


@job("imports", timeout=3600, memory_mb=ops.MEMORY_MB)
def commit_import(unit_id: int, import_id: int, account_id: int | None) -> None:
    """The commit of an import in ``committing``: one transaction for every row."""
    _run(ops.commit, unit_id, import_id, account_id, "committing")


STEPS = {"checking": check_import, "committing": commit_import}


def _resume(import_job: ImportJob):
    """The step again, as the account that asked for it (the import's last move into that state)."""
    account_id = db.session.scalar(
        select(TransitionRecord.account_id).where(TransitionRecord.object_type == "import_jobs",
                                                  TransitionRecord.object_id == import_job.id,
                                                  TransitionRecord.to_state == import_job.state)
        .order_by(TransitionRecord.id.desc()).limit(1))
    return STEPS[import_job.state], import_job.unit_id, import_job.id, account_id


track(ImportJob, RUNNING, resume=_resume, fail=lambda import_job, reason: ops.record_failure(
    import_job, ops.stopped_reason(reason)))
