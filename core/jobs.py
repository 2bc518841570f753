"""All RQ plumbing: named queues, the job decorator, inline mode, the worker and cron scheduler (and,
without Redis, a cron of its own that runs the periodic jobs in its process).

Jobs take ids (never ORM objects), set their own acting context, are idempotent, and
run under the app factory. Without ``REDIS_URL`` a job runs inline: after the request's
transaction commits (as a worker would see it), or at once outside a request.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter
from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, and_, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.areas import installed
from core import context, timefmt
from core.clock import utcnow
from core.extensions import db

log = logging.getLogger(__name__)

QUEUES = ("default", "imports", "reports", "maintenance")
DEFAULT_FAILURE_TTL = 30 * 24 * 3600  # failed jobs stay visible on the status page for 30 days
# A job working on a record (an import, an export) beats on it every HEARTBEAT_EVERY seconds; the sweep, every
# SWEEP_EVERY seconds, takes a record silent for DEAD_AFTER for its worker's death: found within a minute.
HEARTBEAT_EVERY = 10
DEAD_AFTER = timedelta(seconds=30)
SWEEP_EVERY = 20
# A job queued but never started (its queue lost, e.g. Redis emptied): twice the longest job timeout.
LOST_AFTER = timedelta(hours=2)
MAX_RESUMES = 1  # a job whose worker died is resumed once; dying again, it fails and its page offers a retry
WORKER_DIED = _l("后台处理进程意外中止，自动续做一次后仍未完成")
NEVER_STARTED = _l("后台任务长时间未开始执行（任务队列可能已丢失）")
ABANDONED = _l("执行该任务的工作进程意外中止（RQ 在任务超时后才登记）；导入和导出已由巡检续做或标记失败")


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: str
    timeout: int
    retries: tuple[int, ...]  # intervals in seconds; empty = no retry (not safe to repeat)
    memory_mb: int | None = None  # in a worker, what the job may take beyond what the process holds


@dataclass(frozen=True)
class Periodic:
    """A periodic job, declared as data and registered with RQ's cron scheduler: by its cron line, or every
    ``interval`` seconds."""

    func: object
    cron: str = ""
    interval: int = 0

    @property
    def when(self) -> str:
        return self.cron or f"每 {self.interval} 秒"


# Every declared job by its name (JobSpec.name, its module and function): an area's operations queue a job by
# name (enqueue_after_commit), so they never import the jobs module that declares it, which imports them.
_JOBS: dict[str, Callable] = {}


def job(queue: str = "default", timeout: int = 600, retries: tuple[int, ...] = (), memory_mb: int | None = None):
    """Declare a job. ``func.enqueue(*ids)`` queues it, ``enqueue_after_commit(name, *ids)`` queues it by name
    once the request commits; calling it runs it here and now. ``memory_mb``: in a worker, the job runs under
    that memory limit (``memory_limit``)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(func):
        spec = JobSpec(f"{func.__module__}.{func.__name__}", queue, timeout, retries, memory_mb)

        @functools.wraps(func)
        def run(*args, **kwargs):
            previous = context.current()
            context.activate(context.NO_CONTEXT)  # the job sets the context it needs
            limited = memory_limit(spec.memory_mb) if spec.memory_mb and not inline_mode() else nullcontext()
            try:
                with limited:
                    result = func(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                context.activate(previous)

        run.spec = spec
        run.enqueue = lambda *a, **kw: enqueue(run, *a, **kw)
        _JOBS[spec.name] = run
        return run

    return decorate


def across_units(work):
    """Run ``work()`` in the maintenance context (a job that spans every unit) and flush inside it.

    The flush matters on PostgreSQL: changes must be written while the context RLS admits is
    still active, not at the commit after it has ended.
    """
    with context.acting(context.maintenance_context(), db.session):
        result = work()
        db.session.flush()
        return result


def _address_space() -> int | None:
    """The bytes of address space this process holds (Linux), else None."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def memory_limit(megabytes: int):
    """Let this process grow by at most ``megabytes`` while the block runs: its soft address-space limit
    (RLIMIT_AS) is lowered to what it holds now plus that, and put back after. An allocation beyond it raises
    MemoryError in the job (which then fails, or refuses its file, saying why) instead of taking the machine's
    memory, and what the job allocated goes with it. A worker runs its jobs in its main thread (SimpleWorker),
    so the limit is the job's; never used in the web process, whose threads would share it."""
    import resource

    held = _address_space()
    if held is None:  # not Linux: no limit rather than a guess
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = held + (megabytes << 20)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def inline_mode() -> bool:
    return not current_app.config.get("REDIS_URL")


def redis_connection():
    from redis import Redis

    ext = current_app.extensions
    if "qinglian_redis" not in ext:
        ext["qinglian_redis"] = Redis.from_url(current_app.config["REDIS_URL"])
    return ext["qinglian_redis"]


def queue_name(name: str) -> str:
    return f"{current_app.config['RQ_QUEUE_PREFIX']}:{name}"


def get_queue(name: str):
    from rq import Queue

    return Queue(queue_name(name), connection=redis_connection())


def enqueue(func, *args, **kwargs):
    spec: JobSpec = func.spec
    if inline_mode():
        if has_request_context():
            g.setdefault("inline_jobs", []).append((func, args, kwargs))
        else:
            func(*args, **kwargs)
        return None
    from rq import Retry

    return get_queue(spec.queue).enqueue(
        func, *args, **kwargs, job_timeout=spec.timeout, failure_ttl=DEFAULT_FAILURE_TTL,
        retry=Retry(max=len(spec.retries), interval=list(spec.retries)) if spec.retries else None,
    )


def declared(name: str) -> Callable:
    """The job declared as ``name`` (``JobSpec.name``, e.g. ``core.imports.jobs.check_import``). Its module is
    imported by its area's declaration (core/areas.py), so every job is declared once the app is built."""
    try:
        return _JOBS[name]
    except KeyError:
        raise LookupError(f"no job declared as {name!r}") from None


def enqueue_after_commit(name: str, *args) -> None:
    """Queue the job declared as ``name`` once the caller's transaction commits, so the worker finds the state
    it set. By name: the operations that queue a job do not import the jobs module, which imports them.

    Inline, a request's jobs already run after its commit (outside a request: at once). With Redis a worker
    could otherwise start before the commit and find the record as it was; a listener left behind by a
    rolled-back request at most queues a job that finds nothing to do.
    """
    func = declared(name)
    if inline_mode():
        func.enqueue(*args)
    else:
        event.listen(db.session(), "after_commit", lambda _session: func.enqueue(*args), once=True)


def run_inline_jobs() -> None:
    """Run the jobs a request enqueued in inline mode, after its transaction committed."""
    for func, args, kwargs in g.pop("inline_jobs", []) if has_request_context() else []:
        try:
            func(*args, **kwargs)
        except Exception:  # a failed inline job must not turn a committed request into an error
            log.exception("inline job %s failed", func.spec.name)


def run_worker(queues: list[str], burst: bool = False) -> None:
    # SimpleWorker runs jobs in this process: no fork, so no database connection is shared
    # between a parent and a forked child; the app context pushed by the CLI stays valid.
    from rq import SimpleWorker

    worker = SimpleWorker([get_queue(q) for q in queues or QUEUES], connection=redis_connection())
    worker.work(burst=burst, with_scheduler=True)


def periodic_jobs() -> list[Periodic]:
    return installed().periodic


def run_cron_scheduler() -> None:
    if inline_mode():
        run_inline_cron()
        return
    from rq.cron import CronScheduler

    run_periodic = declared(RUN_PERIODIC)
    read_cron_in_deployment_zone()
    scheduler = CronScheduler(connection=redis_connection())
    for periodic in periodic_jobs():
        spec = periodic.func.spec
        every = {"interval": periodic.interval} if periodic.interval else {"cron": periodic.cron}
        # Through run_periodic (core.job_runs): the run is recorded, and a paused job is skipped (and shown so).
        scheduler.register(run_periodic, queue_name=queue_name(spec.queue), args=(spec.name,), name=spec.name,
                           **every, job_timeout=spec.timeout, failure_ttl=DEFAULT_FAILURE_TTL)
    scheduler.start()


def read_cron_in_deployment_zone() -> None:
    """RQ's cron scheduler reads cron fields in the process's local time (rq.cron.CronJob): make that the
    deployment's zone (QINGLIAN_TIMEZONE), whatever zone the server runs in. The process only schedules."""
    os.environ["TZ"] = current_app.config["TIMEZONE"]
    time.tzset()


def next_run(cron: str, after: datetime | None = None) -> datetime:
    """When a periodic job next falls due after ``after`` (default now): its cron fields read in the
    deployment's zone; an aware datetime in that zone."""
    return croniter(cron, timefmt.local(after or utcnow())).get_next(datetime)


def _next_due(periodic: Periodic, after: datetime | None = None) -> datetime:
    after = after or utcnow()
    return after + timedelta(seconds=periodic.interval) if periodic.interval else next_run(periodic.cron, after)


# Every periodic run goes through this job (core/job_runs.py, declared by the kernel): it records the run and
# skips a paused job. By name: that module imports this one.
RUN_PERIODIC = "core.job_runs.run_periodic"


def run_inline_cron(stop: threading.Event | None = None) -> None:
    """Without Redis (the embedded default), run each periodic job in this process when it falls due,
    one after another, until ``stop`` is set. Cron fields are read in the deployment's zone, as for RQ."""
    stop = stop or threading.Event()
    due = {periodic: _next_due(periodic) for periodic in periodic_jobs()}
    log.info("inline cron: %d periodic jobs", len(due))
    while due and not stop.is_set():
        wait = cron_tick(due)
        if wait > 0:
            stop.wait(min(wait, 60))  # and look again: the clock may have been changed


def cron_tick(due: dict, now: datetime | None = None) -> float:
    """One beat of the embedded cron: run (through core.job_runs.run_periodic: recorded, skipped while paused)
    each periodic job of ``due`` (periodic -> when it falls due) whose time has come, one after another, and set
    its next time. The seconds until the next one falls due."""
    run_periodic = declared(RUN_PERIODIC)
    for periodic, when in sorted(due.items(), key=lambda item: item[1]):
        if when > (now or utcnow()):
            break
        try:
            run_periodic(periodic.func.spec.name)
        except Exception:  # one failing job must not stop the others
            log.exception("periodic job %s failed", periodic.func.spec.name)
        finally:
            db.session.remove()
        due[periodic] = _next_due(periodic, now)
    return (min(due.values()) - (now or utcnow())).total_seconds() if due else 60.0


def status() -> dict:
    """Queues, workers and failed jobs, for the admin status page."""
    if inline_mode():
        return {"mode": "inline", "queues": [], "workers": [], "failed": [],
                "periodic": [(p.func.spec.name, p.when) for p in periodic_jobs()]}
    from rq import Worker
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    connection = redis_connection()
    queues, failed = [], []
    for name in QUEUES:
        q = get_queue(name)
        registry = FailedJobRegistry(queue=q)
        queues.append({"name": name, "queued": q.count, "failed": registry.count,
                       "started": q.started_job_registry.count})
        for job_id in registry.get_job_ids()[:50]:
            job = Job.fetch(job_id, connection=connection)
            if job is None:
                continue
            error = (job.latest_result().exc_string if job.latest_result() else "")[-2000:]
            if "AbandonedJobError" in error:  # RQ's word for a job whose worker died, in ours
                error = str(ABANDONED)
            failed.append({"id": job.id, "queue": name, "func": job.func_name, "ended_at": job.ended_at,
                           "error": error})
    # This deployment's workers only: another deployment (or test run) on the same Redis has other queue names.
    ours = {queue_name(name) for name in QUEUES}
    workers = [{"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names()),
                "last_heartbeat": w.last_heartbeat} for w in Worker.all(connection=connection)
               if ours & set(w.queue_names())]
    return {"mode": "redis", "queues": queues, "workers": workers, "failed": failed,
            "periodic": [(p.func.spec.name, p.when) for p in periodic_jobs()]}


# ---------------------------------------------------------------- records that jobs work on: heartbeat and sweep


class HeartbeatMixin:
    """The columns of a record a job works on (an import, an export). ``heartbeat_at``: NULL while its job
    waits in the queue (or runs inline), else the last beat of the worker running it; ``attempts``: the jobs
    that took it, ever (the running one's number tells its writes from a dead attempt's); ``resumes``: the
    times the sweep queued the step asked for last again."""

    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    resumes: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


def queued(record: HeartbeatMixin) -> None:
    """Say the record's job waits in the queue, a step the user asked for (a request that queues it calls this)."""
    record.heartbeat_at, record.resumes = None, 0


@dataclass(frozen=True)
class Tracked:
    """A kind of record jobs work on, declared by its area: in which states a job works on it, how to queue
    that job again (``resume(record)`` -> (job, *args)) and how to fail it (``fail(record, reason)``)."""

    model: type
    running: tuple[str, ...]
    resume: Callable
    fail: Callable


_TRACKED: list[Tracked] = []


def track(model: type, running: tuple[str, ...], *, resume: Callable, fail: Callable) -> None:
    _TRACKED.append(Tracked(model, running, resume, fail))


def _beats() -> bool:
    # Only a worker's job beats: inline, the request that runs it is the job (and SQLite has one writer).
    return not inline_mode() and db.engine.dialect.name == "postgresql"


def claim(model: type, record_id: int, states: tuple[str, ...], **values) -> int | None:
    """Take the record for this job, committed at once so the sweep sees it: count the attempt, start the
    heartbeat and set ``values``. The attempt's number, or None when the record is not in ``states`` or another
    job has it already (a job delivered twice, or queued again while its first run still beats)."""
    attempt = db.session.execute(
        update(model).where(model.id == record_id, model.state.in_(states), model.heartbeat_at.is_(None))
        .values(attempts=model.attempts + 1, heartbeat_at=utcnow() if _beats() else None, **values)
        .returning(model.attempts).execution_options(synchronize_session=False)).scalar_one_or_none()
    db.session.commit()
    return attempt


class Progress:
    """A running job's progress and heartbeat on its record: ``progress(rows)`` writes the rows done so far,
    and a thread beats every HEARTBEAT_EVERY seconds while the job runs (``with progress:``), each an UPDATE
    on a connection of its own committed at once, so the page and the sweep see them while the job's own
    transaction is still open. Both stop counting once the sweep has given the record to another attempt.

    Only in a worker, on PostgreSQL: inline, the request that starts a job returns when it is done (and
    outside a request the job may share the caller's open transaction, whose lock on the record a second
    connection would wait for); SQLite has one writer at a time."""

    def __init__(self, model: type, record_id: int, attempt: int):
        self.model, self.record_id, self.attempt = model, record_id, attempt
        self.enabled = _beats()
        self._stop = threading.Event()

    def __call__(self, rows: int) -> None:
        if self.enabled:
            self._write(processed_rows=rows)

    def _write(self, **values) -> None:
        m = self.model
        with Session(db.engine) as session, session.begin():  # begins with the job's acting context (RLS)
            session.execute(update(m).where(m.id == self.record_id, m.attempts == self.attempt)
                            .values(heartbeat_at=utcnow(), **values).execution_options(synchronize_session=False))

    def __enter__(self):
        if self.enabled:
            app, acting = current_app._get_current_object(), context.current()

            def beat():
                with app.app_context():
                    context.activate(acting)
                    while not self._stop.wait(HEARTBEAT_EVERY):
                        try:
                            self._write()
                        except Exception:  # a missed beat is not the job's failure; the next one may pass
                            log.warning("heartbeat of %s %s failed", self.model.__tablename__, self.record_id,
                                        exc_info=True)

            threading.Thread(target=beat, name=f"heartbeat-{self.record_id}", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        # Not joined: a beat may be waiting for the job's own lock on the record until the job commits.
        self._stop.set()


def sweep_stalled(now: datetime | None = None) -> dict[str, int]:
    """Resume once, or fail, each tracked record whose job has stopped: its heartbeat older than DEAD_AFTER
    (the worker died), or queued without ever starting for LOST_AFTER. A resumed record waits in the queue
    again (no heartbeat); its job, queued after this commit, claims it as a new attempt, and whatever the
    dead attempt left behind is the job's own to ignore (core.imports, reporting.exports)."""
    now = now or utcnow()
    resumed, failed = [], 0

    def work():
        nonlocal failed
        for kind in _TRACKED:
            m = kind.model
            stalled = db.session.scalars(select(m).where(m.state.in_(kind.running), or_(
                m.heartbeat_at < now - DEAD_AFTER, and_(m.heartbeat_at.is_(None), m.updated_at < now - LOST_AFTER)))
                .with_for_update(skip_locked=True)).all()
            for record in stalled:
                resume = record.heartbeat_at is not None and record.resumes < MAX_RESUMES
                log.warning("%s %s: its job stopped (attempt %s), %s", m.__tablename__, record.id, record.attempts,
                            "resumed" if resume else "failed")
                if resume:
                    record.heartbeat_at, record.resumes = None, record.resumes + 1
                    resumed.append(kind.resume(record))
                else:
                    kind.fail(record, str(WORKER_DIED if record.heartbeat_at else NEVER_STARTED))
                    failed += 1

    across_units(work)
    db.session.commit()  # then queue: the resumed jobs must find their records waiting
    for func, *args in resumed:
        func.enqueue(*args)
    return {"resumed": len(resumed), "failed": failed}


@job("maintenance", timeout=60)
def sweep_stalled_jobs() -> dict[str, int]:
    return sweep_stalled()


PERIODIC = [Periodic(sweep_stalled_jobs, interval=SWEEP_EVERY)]
