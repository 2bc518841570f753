"""All RQ plumbing: named queues, the job decorator, inline mode, the worker and cron scheduler (and,
without Redis, a cron of its own that runs the periodic jobs in its process).

Jobs take ids (never ORM objects), set their own acting context, are idempotent, and
run under the app factory. Without ``REDIS_URL`` a job runs inline: after the request's
transaction commits (as a worker would see it), or at once outside a request.
"""
from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter
from flask import current_app, g, has_request_context

from core import context
from core.extensions import db

log = logging.getLogger(__name__)

QUEUES = ("default", "imports", "reports", "maintenance")
DEFAULT_FAILURE_TTL = 30 * 24 * 3600  # failed jobs stay visible on the status page for 30 days


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: str
    timeout: int
    retries: tuple[int, ...]  # intervals in seconds; empty = no retry (not safe to repeat)


@dataclass(frozen=True)
class Periodic:
    """A periodic job, declared as data and registered with RQ's cron scheduler."""

    func: object
    cron: str


_SPECS: dict[str, JobSpec] = {}


def job(queue: str = "default", timeout: int = 600, retries: tuple[int, ...] = ()):
    """Declare a job. ``func.enqueue(*ids)`` queues it; calling it runs it here and now."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(func):
        spec = JobSpec(f"{func.__module__}.{func.__name__}", queue, timeout, retries)

        @functools.wraps(func)
        def run(*args, **kwargs):
            previous = context.current()
            context.activate(context.NO_CONTEXT)  # the job sets the context it needs
            try:
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
        _SPECS[spec.name] = spec
        return run

    return decorate


def across_units(work):
    """Run ``work()`` in the maintenance context (a job that spans every unit) and flush inside it.

    The flush matters on PostgreSQL: changes must be written while the context RLS admits is
    still active, not at the commit after it has ended.
    """
    from core import context
    from core.extensions import db

    with context.acting(context.maintenance_context(), db.session):
        result = work()
        db.session.flush()
        return result


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
    return current_app.extensions.get("qinglian_periodic", [])


def run_cron_scheduler() -> None:
    if inline_mode():
        run_inline_cron()
        return
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection())
    for periodic in periodic_jobs():
        spec = periodic.func.spec
        scheduler.register(periodic.func, queue_name=queue_name(spec.queue), cron=periodic.cron,
                           job_timeout=spec.timeout, failure_ttl=DEFAULT_FAILURE_TTL)
    scheduler.start()


def run_inline_cron(stop: threading.Event | None = None) -> None:
    """Without Redis (the embedded default), run each periodic job in this process when it falls due,
    one after another, until ``stop`` is set. Times are local, as RQ's cron scheduler reads them."""
    stop = stop or threading.Event()
    due = {periodic: croniter(periodic.cron, datetime.now()).get_next(datetime) for periodic in periodic_jobs()}
    log.info("inline cron: %d periodic jobs", len(due))
    while due and not stop.is_set():
        periodic, when = min(due.items(), key=lambda item: item[1])
        wait = (when - datetime.now()).total_seconds()
        if wait > 0:
            stop.wait(min(wait, 60))  # and look again: the clock may have been changed
            continue
        try:
            periodic.func()
        except Exception:  # one failing job must not stop the others
            log.exception("periodic job %s failed", periodic.func.spec.name)
        finally:
            db.session.remove()
        due[periodic] = croniter(periodic.cron, datetime.now()).get_next(datetime)


def status() -> dict:
    """Queues, workers and failed jobs, for the admin status page."""
    if inline_mode():
        return {"mode": "inline", "queues": [], "workers": [], "failed": [],
                "periodic": [(p.func.spec.name, p.cron) for p in periodic_jobs()]}
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
            failed.append({"id": job.id, "queue": name, "func": job.func_name, "ended_at": job.ended_at,
                           "error": (job.latest_result().exc_string if job.latest_result() else "")[-2000:]})
    workers = [{"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names()),
                "last_heartbeat": w.last_heartbeat} for w in Worker.all(connection=connection)]
    return {"mode": "redis", "queues": queues, "workers": workers, "failed": failed,
            "periodic": [(p.func.spec.name, p.cron) for p in periodic_jobs()]}
