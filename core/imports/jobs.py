"""RQ jobs of imports: the dry run and the commit, on the ``imports`` queue.

Each takes ids, acts as the importing account at the import's unit (so RLS admits exactly that
unit's rows), and does nothing unless the import is in the state that asked for it: a job
delivered twice, or queued by a request that then rolled back, finds nothing to do.
"""
from __future__ import annotations

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from core import context
from core.errors import InvalidInput
from core.extensions import db
from core.imports import operations as ops
from core.imports.models import ImportJob
from core.jobs import inline_mode, job
from tenants.models import Unit


def after_commit(func, *ids) -> None:
    """Queue ``func`` once the caller's transaction commits, so the worker finds the state it set.

    Inline, core.jobs already runs a request's jobs after its commit. With Redis a worker could
    otherwise start before the commit and find the import as it was; a listener left behind by a
    rolled-back request at most queues a job that finds nothing to do.
    """
    if inline_mode():
        func.enqueue(*ids)
    else:
        event.listen(db.session(), "after_commit", lambda _session: func.enqueue(*ids), once=True)


class Progress:
    """Writes the rows read so far where the progress page can see them while the job's own transaction
    is still open: an UPDATE on a connection of its own, committed at once.

    Only for jobs a worker runs, on PostgreSQL. Inline, the request that starts a job returns when
    the job is done (and outside a request the job may share the caller's open transaction, whose
    lock on the import's row a second connection would wait for); SQLite has one writer at a time.
    """

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.enabled = not inline_mode() and db.engine.dialect.name != "sqlite"

    def __call__(self, rows_read: int) -> None:
        if not self.enabled:
            return
        with Session(db.engine) as session, session.begin():  # begins with the job's acting context (RLS)
            session.execute(update(ImportJob).where(ImportJob.id == self.import_id)
                            .values(processed_rows=rows_read).execution_options(synchronize_session=False))


def _load(unit_id: int, import_id: int, account_id: int | None, state: str) -> tuple[Unit, ImportJob] | None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return None
    context.activate(context.ActingContext(account_id=account_id, unit_id=unit.id, unit_path=unit.path), db.session)
    import_job = db.session.scalar(select(ImportJob).where(ImportJob.id == import_id, ImportJob.unit_id == unit.id))
    return (unit, import_job) if import_job is not None and import_job.state == state else None


def _run(step, unit: Unit, import_job: ImportJob, progress: Progress) -> None:
    import_id = import_job.id
    try:
        step(import_job, unit, progress=progress)
    except Exception as exc:
        db.session.rollback()  # all or nothing: not one row of a failed commit stays
        ops.record_failure(db.session.get(ImportJob, import_id), ops.failure_reason(exc))
        db.session.commit()
        if not isinstance(exc, (InvalidInput, ops.ImportRefused)):
            raise  # a fault, not the sheet: the failed-job registry shows it too


@job("imports", timeout=3600)
def check_import(unit_id: int, import_id: int, account_id: int | None) -> None:
    """The dry run of an import in ``checking``."""
    loaded = _load(unit_id, import_id, account_id, "checking")
    if loaded:
        _run(ops.check, *loaded, Progress(import_id))


@job("imports", timeout=3600)
def commit_import(unit_id: int, import_id: int, account_id: int | None) -> None:
    """The commit of an import in ``committing``: one transaction for every row."""
    loaded = _load(unit_id, import_id, account_id, "committing")
    if loaded:
        _run(ops.commit, *loaded, Progress(import_id))
