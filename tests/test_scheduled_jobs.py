"""定时任务 (issue 23): the system admin runs a periodic job now, pauses and resumes it, sees its runs and retries
a failed one; the embedded cron and RQ's cron scheduler honour the pause; nobody else reaches the page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.jobs import Periodic, job
from tests.conftest import REDIS_URL, Browser, run_queued_jobs

EFFECTS: list[int] = []
DURING: list = []  # called while the counting job runs
FAIL = {"on": True}


@job("maintenance", timeout=60)
def counting_job():
    EFFECTS.append(1)
    for hook in DURING:
        hook()


@job("maintenance", timeout=60)
def failing_job():
    if FAIL["on"]:
        raise ValueError("cannot mend '钱不露' of 松林纪督〔2026〕12号 (row 123456)\nDETAIL: 赵受屈")


COUNTING, FAILING = counting_job.spec.name, failing_job.spec.name


@pytest.fixture
def periodic(app, monkeypatch):
    from core.areas import installed

    EFFECTS.clear()
    DURING.clear()
    FAIL["on"] = True
    extra = [Periodic(counting_job, cron="0 2 * * *"), Periodic(failing_job, cron="*/5 * * * *")]
    monkeypatch.setattr(installed(app), "periodic", [*installed(app).periodic, *extra])
    return {p.func.spec.name: p for p in extra}


def _sysadmin(app, factory, username="jobs-sys") -> Browser:
    factory.account(username, platform_role="system")
    browser = Browser(app, factory)
    browser.login(username)
    return browser


def _runs(app, name):
    from core.extensions import db
    from core.job_runs import JobRun

    with app.app_context():
        return db.session.scalars(select(JobRun).where(JobRun.job == name).order_by(JobRun.id)).all()


def _audited(app, action) -> list:
    from core import context
    from core.audit.models import AuditEvent
    from core.extensions import db

    with app.app_context():
        context.activate(context.ActingContext(platform_role="audit"), db.session)
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _run_now(browser, name):
    return browser.post("/admin/jobs", {"action": "run", "job": name}, form_page="/admin/jobs")


def test_run_now_records_a_run_with_its_duration_and_outcome(app, factory, periodic):
    browser = _sysadmin(app, factory)
    page = browser.get("/admin/jobs").get_data(as_text=True)
    assert f'data-job="{COUNTING}"' in page and "每天 02:00" in page and "每 5 分钟" in page
    assert "校验审计链" in page and "每天 02:30" in page  # the platform's own jobs, in words
    assert "定时任务" in browser.get("/admin/").get_data(as_text=True)  # the admin menu links it

    assert _run_now(browser, COUNTING).status_code == 302
    run_queued_jobs(app)
    assert EFFECTS == [1]
    [run] = _runs(app, COUNTING)
    assert (run.trigger, run.outcome) == ("manual", "ok")
    assert run.started_at and run.finished_at and run.duration_ms is not None and run.requested_by_id
    history = browser.get(f"/admin/jobs?job={COUNTING}").get_data(as_text=True)
    assert f'data-run="{run.id}" data-outcome="ok" data-trigger="manual"' in history and "手动" in history
    assert [e.detail for e in _audited(app, "job.run_now")]


def test_a_second_run_now_while_one_runs_does_not_double_its_effect(app, factory, periodic):
    browser = _sysadmin(app, factory)
    other = _sysadmin(app, factory, "jobs-sys2")  # another system admin (a second login of one would replay its code)
    answers = []
    DURING.append(lambda: answers.append(_run_now(other, COUNTING)))

    assert _run_now(browser, COUNTING).status_code == 302
    if REDIS_URL:  # queued, not yet run: the job is held already
        waiting = _run_now(other, COUNTING)
        assert waiting.status_code == 409 and "正在执行或已在排队" in waiting.get_data(as_text=True)
        run_queued_jobs(app)
    assert EFFECTS == [1]
    [during] = answers  # asked while the run was running
    assert during.status_code == 409 and "本次未重复执行" in during.get_data(as_text=True)
    run_queued_jobs(app)
    assert EFFECTS == [1]
    assert [(r.trigger, r.outcome) for r in _runs(app, COUNTING)] == [("manual", "ok")]

    DURING.clear()  # done: the job is free again
    assert _run_now(browser, COUNTING).status_code == 302
    run_queued_jobs(app)
    assert EFFECTS == [1, 1]


def test_pausing_a_job_stops_the_cron_from_running_it_and_the_skips_show(app, factory, periodic):
    from core.clock import utcnow
    from core.jobs import cron_tick

    browser = _sysadmin(app, factory)
    assert browser.post("/admin/jobs", {"action": "pause", "job": COUNTING}, form_page="/admin/jobs").status_code == 302
    page = browser.get("/admin/jobs").get_data(as_text=True)
    assert f'data-job="{COUNTING}" data-paused="1"' in page

    counting = periodic[COUNTING]
    with app.app_context():
        for _ in range(2):
            due = {counting: utcnow() - timedelta(seconds=1)}
            wait = cron_tick(due)
            assert wait > 0 and due[counting] > utcnow()  # its next time is set
    assert EFFECTS == []
    [skipped] = _runs(app, COUNTING)
    assert (skipped.outcome, skipped.reason, skipped.times, skipped.trigger) == ("skipped", "paused", 2, "cron")
    history = browser.get(f"/admin/jobs?job={COUNTING}").get_data(as_text=True)
    assert "已跳过" in history and "任务已暂停，未执行" in history and "（2 次）" in history

    if REDIS_URL:  # RQ's cron scheduler queues run_periodic(name): the worker skips it too
        from core.jobs import get_queue
        from core.job_runs import run_periodic

        with app.app_context():
            get_queue("maintenance").enqueue(run_periodic, COUNTING)
        run_queued_jobs(app)
        assert EFFECTS == [] and _runs(app, COUNTING)[-1].times == 3

    assert browser.post("/admin/jobs", {"action": "resume", "job": COUNTING}, form_page="/admin/jobs").status_code == 302
    with app.app_context():
        cron_tick({counting: utcnow() - timedelta(seconds=1)})
    assert EFFECTS == [1]
    assert (_runs(app, COUNTING)[-1].trigger, _runs(app, COUNTING)[-1].outcome) == ("cron", "ok")
    assert len(_audited(app, "job.pause")) == 1 and len(_audited(app, "job.resume")) == 1


def test_the_rq_cron_scheduler_goes_through_the_recording_runner(app, monkeypatch):
    """Each periodic job is registered as run_periodic(its name): recorded, and skipped while paused (above)."""
    from rq.cron import CronScheduler

    from core import jobs
    from core.job_runs import run_periodic
    from core.jobs import periodic_jobs, run_cron_scheduler

    registered = []
    monkeypatch.setattr(jobs, "inline_mode", lambda: False)  # as with Redis, without needing one
    monkeypatch.setattr(jobs, "redis_connection", lambda: None)
    monkeypatch.setattr(jobs, "read_cron_in_deployment_zone", lambda: None)
    monkeypatch.setattr(CronScheduler, "__init__", lambda self, connection=None, **kw: None)
    monkeypatch.setattr(CronScheduler, "register", lambda self, func, **kw: registered.append((func, kw)))
    monkeypatch.setattr(CronScheduler, "start", lambda self: None)
    with app.app_context():
        run_cron_scheduler()
        names = [p.func.spec.name for p in periodic_jobs()]
    assert [kw["args"] for _, kw in registered] == [(n,) for n in names]
    assert all(func is run_periodic for func, _ in registered)


def test_a_failed_run_shows_its_scrubbed_error_and_retry_runs_it_again(app, factory, periodic):
    browser = _sysadmin(app, factory)
    assert _run_now(browser, FAILING).status_code == 302
    run_queued_jobs(app)
    [failed] = _runs(app, FAILING)
    assert failed.outcome == "failed" and failed.error.startswith("ValueError: cannot mend")
    page = browser.get("/admin/jobs").get_data(as_text=True)
    failed_table = page.split("data-failed", 1)[1].split("</table>", 1)[0]
    assert f'data-run="{failed.id}"' in failed_table and "ValueError" in failed_table
    for content in ("钱不露", "赵受屈", "〔2026〕", "123456"):
        assert content not in page, content

    FAIL["on"] = False
    retried = browser.post("/admin/jobs", {"action": "retry", "run_id": failed.id}, form_page="/admin/jobs")
    assert retried.status_code == 302
    run_queued_jobs(app)
    runs = _runs(app, FAILING)
    assert [(r.trigger, r.outcome) for r in runs] == [("manual", "failed"), ("retry", "ok")]
    assert runs[1].retry_of_id == failed.id
    page = browser.get("/admin/jobs").get_data(as_text=True)
    assert f'data-run="{failed.id}"' not in page.split("data-failed", 1)[1].split("</table>", 1)[0]
    assert len(_audited(app, "job.retry")) == 1
    again = browser.post("/admin/jobs", {"action": "retry", "run_id": runs[1].id}, form_page="/admin/jobs")
    assert again.status_code == 422 and "只有失败的执行可以重试" in again.get_data(as_text=True)


def test_old_runs_are_purged_by_their_periodic_job(app, periodic):
    from core.clock import utcnow
    from core.extensions import db
    from core.job_runs import JobRun
    from core.job_runs import purge_job_runs

    with app.app_context():
        db.session.add_all([JobRun(job=COUNTING, trigger="cron", outcome="ok", queued_at=utcnow() - timedelta(days=40)),
                            JobRun(job=COUNTING, trigger="cron", outcome="ok", queued_at=utcnow() - timedelta(days=1))])
        db.session.commit()
        assert purge_job_runs() == 1
    assert len(_runs(app, COUNTING)) == 1
    with app.app_context():
        from core.jobs import periodic_jobs

        assert "core.job_runs.purge_job_runs" in [p.func.spec.name for p in periodic_jobs()]


def test_schedules_read_in_words_where_simple():
    from core.job_runs import schedule_words

    assert schedule_words(Periodic(None, cron="30 2 * * *")) == "每天 02:30"
    assert schedule_words(Periodic(None, cron="*/10 * * * *")) == "每 10 分钟"
    assert schedule_words(Periodic(None, cron="17 * * * *")) == "每小时第 17 分"
    assert schedule_words(Periodic(None, cron="0 1 * * 1")) == "每周一 01:00"
    assert schedule_words(Periodic(None, cron="15 1 1 * *")) == "每月 1 日 01:15"
    assert schedule_words(Periodic(None, interval=20)) == "每 20 秒"
    assert schedule_words(Periodic(None, cron="0 9-17 * * 1-5")) == "0 9-17 * * 1-5"


def test_only_the_system_admin_reaches_the_page(app, factory, periodic):
    tree = factory.tree()
    factory.account("jobs-sec", platform_role="security")
    factory.account("jobs-aud", platform_role="audit")
    for role in ("leader", "officer", "intake", "reviewer", "case_admin", "analyst", "unit_admin"):
        factory.account(f"jobs-{role}", [(tree.county, role)])
    for username in ("jobs-sec", "jobs-aud", *(f"jobs-{r}" for r in ("leader", "officer", "intake", "reviewer",
                                                                      "case_admin", "analyst", "unit_admin"))):
        browser = Browser(app, factory)
        browser.login(username)
        assert browser.get("/admin/jobs").status_code == 404, username
        token = browser.csrf("/")
        refused = browser.client.post("/admin/jobs", data={"csrf_token": token, "action": "run", "job": COUNTING})
        assert refused.status_code == 404, username
        assert "/admin/jobs" not in browser.get("/", follow_redirects=True).get_data(as_text=True)
    assert EFFECTS == [] and _runs(app, COUNTING) == []
