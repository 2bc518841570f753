"""定时任务 (issue 23): the periodic jobs' runs, kept in ``job_runs``; pausing, resuming, running now and retrying.

Every run of a periodic job goes through ``run_periodic(name, run_id=None)``: the embedded cron (core.jobs'
``cron_tick``) and RQ's cron scheduler call it with the job's name; a run asked for on the page (run now, retry)
is recorded first, queued, then run by it with its id. It records the run (started, finished, duration, outcome,
the error: the exception's type and a short message, scrubbed of quoted values and numbers — never a record's
content).

One run of a job at a time: ``job_states.run_id`` holds the run that has the job (queued or running), taken by
one conditional UPDATE, so a second "run now" while one waits or runs is refused, and a cron run falling due
meanwhile is skipped (and shown as skipped). A pause, kept in ``job_states``, makes both crons skip the job; the
skips are shown, consecutive ones as one row with their count. A run that held the job past twice its timeout
(its process died) is marked failed and the job taken.

Platform tables (no unit, no RLS): a job's name and times are no case data.
"""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, delete, event, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core import jobs
from core.audit.operations import record
from core.clock import as_utc, utcnow
from core.errors import InvalidInput
from core.extensions import db
from core.models import upsert_insert

log = logging.getLogger(__name__)

CRON, MANUAL, RETRY = "cron", "manual", "retry"
TRIGGER_LABELS = {CRON: _l("定时"), MANUAL: _l("手动"), RETRY: _l("重试")}
QUEUED, RUNNING, OK, FAILED, SKIPPED = "queued", "running", "ok", "failed", "skipped"
OUTCOME_LABELS = {QUEUED: _l("排队中"), RUNNING: _l("执行中"), OK: _l("成功"), FAILED: _l("失败"),
                  SKIPPED: _l("已跳过")}
PAUSED, BUSY, ABANDONED = "paused", "busy", "abandoned"
REASON_LABELS = {PAUSED: _l("任务已暂停，未执行"), BUSY: _l("上次执行尚未结束，本次未执行"),
                 ABANDONED: _l("执行进程意外中止，未记录结果")}
KEEP_DAYS = 30  # default of QINGLIAN_JOB_RUNS_KEEP_DAYS
ERROR_LIMIT = 160

# What each periodic job does, in words for the system admin (its technical name is shown as its tooltip).
JOB_LABELS = {
    "core.audit.jobs.verify_audit_chains": _l("校验审计链"),
    "core.audit.jobs.anchor_audit_heads": _l("签署审计链检查点"),
    "core.identity.jobs.end_stale_sessions": _l("结束超时的登录会话"),
    "core.jobs.sweep_stalled_jobs": _l("巡检中断的后台任务（导入、导出）"),
    "core.job_runs.purge_job_runs": _l("清理过期的定时任务执行记录"),
    "core.supervision.jobs.scan_supervision_deadlines": _l("督办件到期提醒"),
    "core.petitions.jobs.scan_petition_deadlines": _l("信访举报办理到期提醒"),
    "core.clearing.jobs.scan_clearing_deadlines": _l("澄清正名到期提醒"),
    "core.directives.jobs.scan_directive_deadlines": _l("通知报送到期提醒"),
    "core.zeroing.jobs.propose_backlog": _l("信访积案建议纳入台账"),
    "core.zeroing.jobs.scan_backlog_overdue": _l("信访积案化解逾期提醒"),
    "core.zeroing.jobs.build_monthly_bulletins": _l("生成积案化解月度通报"),
    "core.leads.jobs.scan_lead_deadlines": _l("问题线索办理到期提醒"),
    "core.leads.jobs.scan_lead_reports": _l("问题线索月报备催报"),
    "core.cases.jobs.scan_case_deadlines": _l("审查调查到期提醒"),
    "core.villages.jobs.scan_village_plans": _l("一村一方案整改到期提醒"),
    "core.meetings.jobs.scan_meeting_issues": _l("现场办公会交办问题到期提醒"),
    "core.zones.jobs.advance_zone_rotas": _l("协作区召集轮换"),
    "core.zones.jobs.activate_cross_grants": _l("交叉授权到期生效"),
    "core.ledgers.jobs.refresh_completeness": _l("刷新台账完整度"),
    "reporting.jobs.refresh_time_based_figures": _l("刷新随时间变化的统计数字"),
    "reporting.jobs.reconcile_figures": _l("夜间重算并核对统计数字"),
    "reporting.bulletins.jobs.build_weekly_bulletins": _l("生成周通报"),
    "reporting.bulletins.jobs.build_monthly_bulletins": _l("生成月通报"),
    "reporting.exports.jobs.purge_exports": _l("清理过期的导出文件"),
}


class JobRun(db.Model):
    """One run of a periodic job (or, ``skipped``, the times in a row it fell due and did not run)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_id", "job", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(200), nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    times: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    retry_of_id: Mapped[int | None] = mapped_column(Integer)

    @property
    def label(self) -> str:
        return job_label(self.job)

    @property
    def duration(self) -> str:
        return format_duration(self.duration_ms)


class JobState(db.Model):
    """A periodic job's pause, and the run that has it now (queued or running)."""

    __tablename__ = "job_states"

    job: Mapped[str] = mapped_column(String(200), primary_key=True)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    run_id: Mapped[int | None] = mapped_column(Integer)
    run_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobBusy(InvalidInput):
    """A run now (or retry) while the job waits in the queue or runs."""


def job_label(name: str) -> str:
    label = JOB_LABELS.get(name)
    return str(label) if label else _("其他定时任务")


def format_duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return _("%(n)s 毫秒", n=ms)
    seconds = ms / 1000
    if seconds < 60:
        return _("%(n)s 秒", n=f"{seconds:.1f}")
    return _("%(m)s 分 %(s)s 秒", m=int(seconds // 60), s=int(seconds % 60))


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|「[^」]*」|《[^》]*》|\([^)]*\)|（[^）]*）|\[[^\]]*\]")
_NUMBERED = re.compile(r"[\u4e00-\u9fa5]{0,12}〔\d{4}〕\d+号")
_DIGITS = re.compile(r"\d{3,}")


def scrub(exc: BaseException) -> str:
    """The exception's type and a short message: its first line, quoted or bracketed values, record numbers and
    long numbers taken out (they may be a record's content), cut to ERROR_LIMIT characters."""
    message = (str(exc).strip().splitlines() or [""])[0]
    message = _DIGITS.sub("#", _QUOTED.sub("…", _NUMBERED.sub("…", message)))
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= ERROR_LIMIT else text[:ERROR_LIMIT - 1] + "…"


def periodic_by_name() -> dict:
    return {p.func.spec.name: p for p in jobs.periodic_jobs()}


def keep_days() -> int:
    import os

    raw = os.environ.get("QINGLIAN_JOB_RUNS_KEEP_DAYS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else int(current_app.config.get("JOB_RUNS_KEEP_DAYS", KEEP_DAYS))


def _stale_after(name: str) -> timedelta:
    periodic = periodic_by_name().get(name)
    timeout = periodic.func.spec.timeout if periodic else 3600
    return timedelta(seconds=max(2 * timeout, 300))


def _ensure_state(name: str) -> None:
    db.session.execute(upsert_insert(JobState.__table__).values(job=name).on_conflict_do_nothing())


def _release_stale(name: str, now: datetime) -> None:
    """A run holding the job past twice its timeout: its process died. Mark it failed; the job is free."""
    state = db.session.get(JobState, name, populate_existing=True)
    if state is None or state.run_id is None or state.run_since is None or as_utc(state.run_since) >= now - _stale_after(name):
        return
    stale = db.session.get(JobRun, state.run_id)
    if stale is not None and stale.outcome in (QUEUED, RUNNING):
        stale.outcome, stale.reason, stale.finished_at = FAILED, ABANDONED, now


def _claim(name: str, run_id: int, now: datetime) -> bool:
    """Give the job to run ``run_id``: one conditional UPDATE, so of two at once only one wins."""
    _ensure_state(name)
    _release_stale(name, now)
    taken = db.session.execute(
        update(JobState).where(JobState.job == name,
                               or_(JobState.run_id.is_(None), JobState.run_since < now - _stale_after(name)))
        .values(run_id=run_id, run_since=now).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def _release(name: str, run_id: int) -> None:
    db.session.execute(update(JobState).where(JobState.job == name, JobState.run_id == run_id)
                       .values(run_id=None, run_since=None).execution_options(synchronize_session=False))


def _skip(name: str, reason: str, now: datetime) -> None:
    """A cron run that did not happen: shown in the history; consecutive skips for one reason are one row."""
    last = db.session.scalar(select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc()).limit(1))
    if last is not None and last.outcome == SKIPPED and last.reason == reason:
        last.times += 1
        last.finished_at = now
    else:
        db.session.add(JobRun(job=name, trigger=CRON, outcome=SKIPPED, reason=reason, queued_at=now,
                              finished_at=now, times=1))


def is_paused(name: str) -> bool:
    return db.session.scalar(select(JobState.paused_at).where(JobState.job == name)) is not None


# ---------------------------------------------------------------- running


@jobs.job("maintenance", timeout=3600)
def run_periodic(name: str, run_id: int | None = None) -> str:
    """Run the periodic job ``name`` and record the run: from a cron (``run_id`` None: skipped while paused or
    while another run has the job), or the run asked for on the page (``run_id``: recorded and holding the job
    already; a second delivery of it finds it no longer queued and does nothing). Its outcome."""
    periodic = periodic_by_name().get(name)
    if periodic is None:
        log.warning("periodic job %s is not declared (any more): nothing run", name)
        return SKIPPED
    now = utcnow()
    if run_id is None:
        _ensure_state(name)
        if is_paused(name):
            _skip(name, PAUSED, now)
            db.session.commit()
            log.info("periodic job %s is paused: skipped", name)
            return SKIPPED
        run = JobRun(job=name, trigger=CRON, outcome=QUEUED, queued_at=now)
        db.session.add(run)
        db.session.flush()
        if not _claim(name, run.id, now):
            db.session.delete(run)
            _skip(name, BUSY, now)
            db.session.commit()
            return SKIPPED
    else:
        run = db.session.get(JobRun, run_id, populate_existing=True)
        if run is None or run.outcome != QUEUED:
            db.session.rollback()
            return SKIPPED
    run.outcome, run.started_at = RUNNING, utcnow()
    run_id = run.id
    db.session.commit()
    began = time.monotonic()
    failure = None
    try:
        periodic.func()
    except Exception as exc:  # recorded; raised again for RQ below, which keeps it in its failed registry
        db.session.rollback()
        failure = exc
        log.exception("periodic job %s failed", name)
    run = db.session.get(JobRun, run_id, populate_existing=True)
    run.finished_at = utcnow()
    run.duration_ms = int((time.monotonic() - began) * 1000)
    run.outcome = FAILED if failure else OK
    run.error = scrub(failure) if failure else None
    _release(name, run_id)
    db.session.commit()
    if failure is not None and not jobs.inline_mode():
        raise failure
    return run.outcome



def _enqueue(name: str, run_id: int) -> None:
    """Queue the recorded run once the caller's transaction commits (inline: after the request, or at once)."""
    spec = periodic_by_name()[name].func.spec
    if jobs.inline_mode():
        if has_request_context():
            g.setdefault("inline_jobs", []).append((run_periodic, (name, run_id), {}))
        else:
            db.session.commit()
            run_periodic(name, run_id)
        return

    def put(_session):
        jobs.get_queue(spec.queue).enqueue(run_periodic, name, run_id, job_timeout=spec.timeout,
                                           failure_ttl=jobs.DEFAULT_FAILURE_TTL)

    event.listen(db.session(), "after_commit", put, once=True)


def _declared(name: str):
    periodic = periodic_by_name().get(name)
    if periodic is None:
        raise InvalidInput({"job": [_("没有这个定时任务")]})
    return periodic


def request_run(name: str, *, account, trigger: str = MANUAL, retry_of: JobRun | None = None) -> JobRun:
    """Run now (or retry): record the run, give it the job and queue it; refused while a run has the job."""
    _declared(name)
    now = utcnow()
    run = JobRun(job=name, trigger=trigger, outcome=QUEUED, queued_at=now, requested_by_id=account.id,
                 retry_of_id=retry_of.id if retry_of else None)
    db.session.add(run)
    db.session.flush()
    if not _claim(name, run.id, now):
        db.session.delete(run)
        db.session.flush()
        raise JobBusy({"job": [_("该任务正在执行或已在排队，本次未重复执行；请待其完成后再试")]})
    record("job.retry" if trigger == RETRY else "job.run_now", object_type="job_runs", object_id=run.id,
           account=account, detail={"name": job_label(name)})
    _enqueue(name, run.id)
    return run


def retry(run_id: int, *, account) -> JobRun:
    failed = db.session.get(JobRun, run_id)
    if failed is None or failed.outcome != FAILED:
        raise InvalidInput({"run": [_("只有失败的执行可以重试")]})
    return request_run(failed.job, account=account, trigger=RETRY, retry_of=failed)


def set_paused(name: str, paused: bool, *, account) -> None:
    """Pause (both crons skip the job) or resume; audited. Running it now stays possible while paused."""
    _declared(name)
    _ensure_state(name)
    state = db.session.get(JobState, name, populate_existing=True)
    if (state.paused_at is not None) == paused:
        raise InvalidInput({"job": [_("该任务已暂停") if paused else _("该任务未暂停")]})
    state.paused_at, state.paused_by_id = (utcnow(), account.id) if paused else (None, None)
    db.session.flush()
    record("job.pause" if paused else "job.resume", object_type="job_states", object_id=name[-64:],
           account=account, detail={"name": job_label(name)})


def purge(now: datetime | None = None) -> int:
    """Drop the runs older than the keeping period (never one that still has its job)."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days())
    holding = select(JobState.run_id).where(JobState.run_id.is_not(None))
    gone = db.session.execute(delete(JobRun).where(JobRun.queued_at < cutoff, JobRun.id.not_in(holding))
                              .execution_options(synchronize_session=False)).rowcount
    db.session.flush()
    return gone


# ---------------------------------------------------------------- the page


def schedule_words(periodic) -> str:
    """The schedule in words where it is simple (每天 02:30, 每 10 分钟 …), else its cron expression."""
    if periodic.interval:
        every = periodic.interval
        return _("每 %(n)s 分钟", n=every // 60) if every % 60 == 0 else _("每 %(n)s 秒", n=every)
    fields = periodic.cron.split()
    if len(fields) != 5:
        return periodic.cron
    minute, hour, day, month, weekday = fields
    number = re.compile(r"^\d{1,2}$")
    if month != "*":
        return periodic.cron
    if minute.startswith("*/") and minute[2:].isdigit() and hour == day == weekday == "*":
        return _("每 %(n)s 分钟", n=int(minute[2:]))
    if minute == hour == day == weekday == "*":
        return _("每分钟")
    if number.match(minute) and hour == day == weekday == "*":
        return _("每小时第 %(m)s 分", m=int(minute))
    if not (number.match(minute) and number.match(hour)):
        return periodic.cron
    at = f"{int(hour):02d}:{int(minute):02d}"
    if day == weekday == "*":
        return _("每天 %(at)s", at=at)
    if day == "*" and re.match(r"^[0-7]$", weekday):
        names = [_("日"), _("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")]
        return _("每周%(d)s %(at)s", d=names[int(weekday)], at=at)
    if weekday == "*" and number.match(day):
        return _("每月 %(d)s 日 %(at)s", d=int(day), at=at)
    return periodic.cron


def overview() -> list[dict]:
    """Each periodic job: its schedule, pause, next and last run, last outcome and duration."""
    declared = periodic_by_name()
    states = {s.job: s for s in db.session.scalars(select(JobState).where(JobState.job.in_(declared)))}
    latest_ids = select(func.max(JobRun.id)).where(JobRun.job.in_(declared), JobRun.outcome != SKIPPED) \
        .group_by(JobRun.job)
    latest = {r.job: r for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest_ids)))}
    rows = []
    for name, periodic in declared.items():
        state = states.get(name)
        last = latest.get(name)
        paused = state is not None and state.paused_at is not None
        if paused:
            upcoming = None
        elif periodic.interval:
            base = as_utc(last.started_at or last.queued_at) if last else utcnow()
            upcoming = max(base + timedelta(seconds=periodic.interval), utcnow())
        else:
            upcoming = jobs.next_run(periodic.cron)
        rows.append({"name": name, "label": job_label(name), "schedule": schedule_words(periodic),
                     "cron": periodic.cron or "", "queue": periodic.func.spec.queue, "paused": paused,
                     "paused_at": state.paused_at if paused else None, "next": upcoming, "last": last,
                     "busy": state is not None and state.run_id is not None})
    return rows


def history(name: str | None = None, outcome: str | None = None, limit: int = 100) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if name:
        stmt = stmt.where(JobRun.job == name)
    if outcome:
        stmt = stmt.where(JobRun.outcome == outcome)
    return list(db.session.scalars(stmt))


def failed_runs(limit: int = 50) -> list[JobRun]:
    """The failed runs not retried yet (a retry of a run refers to it)."""
    runs = history(outcome=FAILED, limit=limit * 4)
    retried = set(db.session.scalars(select(JobRun.retry_of_id).where(
        JobRun.retry_of_id.in_([r.id for r in runs])))) if runs else set()
    return [r for r in runs if r.id not in retried][:limit]


@jobs.job("maintenance", timeout=600)
def purge_job_runs() -> int:
    """The runs older than their keeping period (QINGLIAN_JOB_RUNS_KEEP_DAYS, default 30) go."""
    return purge()


PERIODIC = [jobs.Periodic(purge_job_runs, cron="40 3 * * *")]
