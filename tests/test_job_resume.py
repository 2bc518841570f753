"""Jobs whose worker died (issue 16 item 8): an import's or an export's job beats on its record; the sweep, every
20 seconds, finds one silent for 30 and queues it again once, or fails it with a Chinese reason and a retry
button; every run stays exactly-once (no doubled rows, one file per export). With PostgreSQL and Redis a real
worker process is killed mid-commit; inline (SQLite) the sweep is driven directly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from core.areas import installed
from tests.conftest import ADMIN_URL, REDIS_URL, run_queued_jobs
from tests.test_imports import MAPPING, count, import_row, ledger_rows, run_jobs, upload, world, xlsx  # noqa: F401

ROWS = 30


def sweep(app, minutes: float = 1):
    """The periodic sweep as it runs ``minutes`` from now."""
    from core.jobs import sweep_stalled_jobs

    with app.app_context():
        with _clock(minutes):
            result = sweep_stalled_jobs()
    run_jobs(app)  # with Redis the resumed jobs wait in the queue
    return result


class _clock:
    def __init__(self, minutes):
        self.minutes = minutes

    def __enter__(self):
        from core import jobs

        self.original, later = jobs.utcnow, jobs.utcnow() + timedelta(minutes=self.minutes)
        jobs.utcnow = lambda: later

    def __exit__(self, *exc):
        from core import jobs

        jobs.utcnow = self.original


def checked_import(app, browser, unit_id: int, rows: int = ROWS) -> int:
    browser.login("east-intake")
    import_id = upload(browser, unit_id, xlsx(ledger_rows(rows)), "台账.xlsx")
    detail = f"/u/{unit_id}/petitions/imports/{import_id}"
    browser.post(f"{detail}/mapping", {f"map_{k}": v for k, v in MAPPING.items()}, form_page=detail)
    run_jobs(app)
    return import_id


def commit_without_a_worker(app, browser, unit_id: int, import_id: int, monkeypatch) -> None:
    """The commit asked for, its job taken by a worker that then died: claimed, beating no more, nothing written."""
    from core.imports import jobs

    detail = f"/u/{unit_id}/petitions/imports/{import_id}"
    with monkeypatch.context() as patch:
        patch.setattr(jobs.commit_import, "enqueue", lambda *args: None)
        assert browser.post(f"{detail}/commit", form_page=detail).status_code == 302


def died(owner_engine, table: str, record_id: int, *, resumed: int = 0, seconds_ago: int = 40) -> None:
    """A worker took the record (its ``resumed``-th resume) and died ``seconds_ago``."""
    with owner_engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET attempts = attempts + 1, resumes = :r, heartbeat_at = :t WHERE id = :id"),
                     {"r": resumed, "t": datetime.now(timezone.utc) - timedelta(seconds=seconds_ago), "id": record_id})


def test_a_dead_workers_commit_is_resumed_once_and_its_rows_are_not_doubled(
        app, world, browser, owner_engine, monkeypatch):  # noqa: F811
    import_id = checked_import(app, browser, world.town)
    commit_without_a_worker(app, browser, world.town, import_id, monkeypatch)
    died(owner_engine, "import_jobs", import_id, seconds_ago=20)
    attempts = import_row(owner_engine, import_id)["attempts"]
    assert sweep(app, minutes=0) == {"resumed": 0, "failed": 0}  # its last beat 20 s ago: alive
    assert sweep(app, minutes=0.25) == {"resumed": 1, "failed": 0}  # 35 s: its worker is taken for dead
    job = import_row(owner_engine, import_id)
    assert (job["state"], job["created_count"], job["attempts"], job["resumes"]) == ("committed", ROWS, attempts + 1, 1)
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == ROWS
    # Resumed as the account that asked for the commit.
    assert count(owner_engine, "SELECT COUNT(DISTINCT registered_by_id) FROM petitions WHERE registered_by_id = "
                               "(SELECT id FROM accounts WHERE username = 'east-intake')") == 1
    assert sweep(app) == {"resumed": 0, "failed": 0}
    # The same job delivered again finds nothing to do.
    from core.imports.jobs import commit_import

    with app.app_context():
        commit_import(world.town, import_id, None)
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == ROWS


def test_a_job_that_dies_again_fails_in_chinese_and_its_retry_imports_once(
        app, world, browser, owner_engine, monkeypatch):  # noqa: F811
    import_id = checked_import(app, browser, world.town)
    commit_without_a_worker(app, browser, world.town, import_id, monkeypatch)
    died(owner_engine, "import_jobs", import_id, resumed=1)
    assert sweep(app) == {"resumed": 0, "failed": 1}
    job = import_row(owner_engine, import_id)
    assert job["state"] == "failed" and job["failure"] == (
        "后台处理进程意外中止，自动续做一次后仍未完成，未写入任何记录；请点击“重试”重新检查并导入")
    detail = f"/u/{world.town}/petitions/imports/{import_id}"
    page = browser.get(detail).get_data(as_text=True)
    assert "后台处理进程意外中止" in page and "重试（按原列对应重新检查）" in page
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0
    assert browser.post(f"{detail}/retry", form_page=detail).status_code == 302
    run_jobs(app)
    assert import_row(owner_engine, import_id)["state"] == "checked"
    assert browser.post(f"{detail}/retry", form_page=detail).status_code == 409  # only a failed import
    browser.post(f"{detail}/commit", form_page=detail)
    run_jobs(app)
    assert import_row(owner_engine, import_id)["state"] == "committed"
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == ROWS


def test_a_commit_run_that_lost_its_import_to_another_attempt_writes_nothing(app, world, browser, owner_engine):  # noqa: F811
    """A run the sweep gave up on (it was only slow) finds, once it holds the unit's number counter, that another
    attempt has the import: it stops before writing a row."""
    from sqlalchemy.orm.attributes import set_committed_value

    from core import context
    from core.extensions import db
    from core.imports import operations as ops
    from core.imports.models import ImportJob
    from tenants.models import Unit

    import_id = checked_import(app, browser, world.town)
    with owner_engine.begin() as conn:  # the commit claimed by a second attempt
        conn.execute(text("UPDATE import_jobs SET state = 'committing', attempts = attempts + 1 WHERE id = :id"),
                     {"id": import_id})
    with app.app_context():
        unit = db.session.get(Unit, world.town)
        context.activate(context.ActingContext(unit_id=unit.id, unit_path=unit.path), db.session)
        job = db.session.get(ImportJob, import_id)
        set_committed_value(job, "attempts", job.attempts - 1)  # as the attempt before loaded it
        with pytest.raises(ops.Superseded):
            ops.commit(job, unit)
        db.session.rollback()
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0


def test_a_job_never_started_fails_after_twice_the_timeout(app, world, browser, owner_engine, monkeypatch):  # noqa: F811
    import_id = checked_import(app, browser, world.town)
    commit_without_a_worker(app, browser, world.town, import_id, monkeypatch)
    assert sweep(app, minutes=60) == {"resumed": 0, "failed": 0}  # queued behind long jobs, perhaps
    assert sweep(app, minutes=121) == {"resumed": 0, "failed": 1}
    assert "后台任务长时间未开始执行" in import_row(owner_engine, import_id)["failure"]


def test_an_export_whose_worker_died_is_resumed_and_has_one_file(app, factory, browser, owner_engine, monkeypatch):
    from tests.test_exports import config, export_row, register, start

    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    register(app, tree.town, ["张一", "张二", "李三"])
    browser.login("east-intake")
    from reporting.exports import jobs

    with config(app, EXPORT_INLINE_ROWS=0), monkeypatch.context() as patch:
        patch.setattr(jobs.build_export, "enqueue", lambda *args: None)
        export_id = int(start(browser, tree.town, f"/u/{tree.town}/petitions", "petitions").location.rsplit("/", 1)[1])
    with owner_engine.begin() as conn:  # taken by a worker that died half-way
        conn.execute(text("UPDATE exports SET state = 'running', processed_rows = 2 WHERE id = :id"), {"id": export_id})
    died(owner_engine, "exports", export_id)
    assert sweep(app)["resumed"] == 1
    stored = export_row(owner_engine, export_id)
    assert (stored["state"], stored["attempts"], stored["resumes"], stored["total_rows"]) == ("done", 2, 1, 3)
    content = bytes(stored["content"])
    # The first attempt, had it lived on, finds the export another attempt's and keeps its file to itself.
    from core.extensions import db
    from reporting.exports import operations as ops

    with app.app_context():
        assert ops._settle(export_id, 1, content=b"stale", state="done") is False
        db.session.commit()
    assert bytes(export_row(owner_engine, export_id)["content"]) == content
    assert count(owner_engine, "SELECT COUNT(*) FROM exports") == 1
    assert browser.get(f"/u/{tree.town}/exports/{export_id}/download").status_code == 200


def test_an_export_that_dies_again_fails_and_its_retry_makes_the_file(app, factory, browser, owner_engine,
                                                                     monkeypatch):
    from tests.test_exports import config, export_row, register, start

    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    register(app, tree.town, ["张一", "张二"])
    browser.login("east-intake")
    from reporting.exports import jobs

    with config(app, EXPORT_INLINE_ROWS=0), monkeypatch.context() as patch:
        patch.setattr(jobs.build_export, "enqueue", lambda *args: None)
        export_id = int(start(browser, tree.town, f"/u/{tree.town}/petitions", "petitions").location.rsplit("/", 1)[1])
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE exports SET state = 'running' WHERE id = :id"), {"id": export_id})
    died(owner_engine, "exports", export_id, resumed=1)
    assert sweep(app) == {"resumed": 0, "failed": 1}
    page = f"/u/{tree.town}/exports/{export_id}"
    html = browser.get(page).get_data(as_text=True)
    assert "后台处理进程意外中止，自动续做一次后仍未完成，文件未生成；请点击“重试”重新生成" in html and ">重试<" in html
    assert browser.post(f"{page}/retry", form_page=page).status_code == 302
    run_queued_jobs(app)
    stored = export_row(owner_engine, export_id)
    assert stored["state"] == "done" and stored["content"] is not None and stored["total_rows"] == 2
    assert browser.post(f"{page}/retry", form_page=page).status_code == 409  # only a failed export


def test_the_sweep_finds_a_dead_worker_within_a_minute(app, browser, factory):
    from core import jobs

    sweeps = [p for p in installed(app).periodic if p.func is jobs.sweep_stalled_jobs]
    assert [p.interval for p in sweeps] == [jobs.SWEEP_EVERY]
    assert jobs.DEAD_AFTER.total_seconds() + jobs.SWEEP_EVERY < 60
    assert jobs.DEAD_AFTER.total_seconds() >= 3 * jobs.HEARTBEAT_EVERY  # a missed beat or two is no death
    factory.account("sys", platform_role="system")
    browser.login("sys")
    assert "core.jobs.sweep_stalled_jobs" in browser.get("/admin/status").get_data(as_text=True)


WORKER = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "imports"]


@pytest.mark.skipif(not (ADMIN_URL and REDIS_URL), reason="a real worker process: PostgreSQL and Redis")
def test_a_killed_worker_process_leaves_a_commit_the_sweep_resumes_once(
        app, world, browser, owner_engine):  # noqa: F811
    """A worker process takes the commit and is killed (SIGKILL) while the commit waits for the number counter;
    its heartbeat stops, the sweep queues the commit again once, and it imports every row once."""
    from core.jobs import DEAD_AFTER

    import_id = checked_import(app, browser, world.town)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
           "RQ_QUEUE_PREFIX": app.config["RQ_QUEUE_PREFIX"], "DATABASE_APP_ROLE": app.config["DATABASE_APP_ROLE"]}
    blocker = owner_engine.connect()
    worker = None
    try:
        blocker.begin()
        blocker.execute(text("LOCK TABLE number_counters IN ACCESS EXCLUSIVE MODE"))  # the commit waits here
        detail = f"/u/{world.town}/petitions/imports/{import_id}"
        assert browser.post(f"{detail}/commit", form_page=detail).status_code == 302
        worker = subprocess.Popen(WORKER, env=env, cwd=Path(__file__).resolve().parents[1],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while import_row(owner_engine, import_id)["heartbeat_at"] is None:
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never took the commit"
            time.sleep(0.3)
        beat = import_row(owner_engine, import_id)
        assert (beat["state"], beat["resumes"]) == ("committing", 0)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
        if worker and worker.poll() is None:
            worker.kill()
    time.sleep(1)  # the killed worker's connection is gone with its transaction
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == 0
    assert sweep(app, minutes=0)["resumed"] == 0  # still within its last beat's grace
    from core.jobs import sweep_stalled_jobs

    with app.app_context(), _clock(DEAD_AFTER.total_seconds() / 60 + 0.1):
        assert sweep_stalled_jobs() == {"resumed": 1, "failed": 0}
    run_queued_jobs(app)
    job = import_row(owner_engine, import_id)
    assert (job["state"], job["created_count"], job["attempts"], job["resumes"]) == (
        "committed", ROWS, beat["attempts"] + 1, 1)
    assert count(owner_engine, "SELECT COUNT(*) FROM petitions") == ROWS
    assert sweep(app, minutes=5) == {"resumed": 0, "failed": 0}
    # RQ itself gives the dead worker's job up only at its timeout; the status page then says what happened.
    from core import jobs

    with app.app_context():
        jobs.get_queue("imports").started_job_registry.cleanup(time.time() + 2 * 3600)
        assert any(f["error"] == str(jobs.ABANDONED) for f in jobs.status()["failed"])
