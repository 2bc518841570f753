"""Jobs queued by name: the operations of imports, zeroing and exports queue their jobs through core.jobs by the
job's name, so they never import the jobs module that declares it (which imports them). Each name must be a job
that module declares: a name that drifted would fail only when a user asks for the work."""
from __future__ import annotations

import pytest


def test_each_job_an_operation_queues_by_name_is_declared_under_that_name(app):
    from core import jobs
    from core.imports import jobs as import_jobs
    from core.imports import operations as import_ops
    from core.zeroing import jobs as zeroing_jobs
    from core.zeroing import operations as zeroing_ops
    from reporting.exports import jobs as export_jobs
    from reporting.exports import operations as export_ops

    assert jobs.declared(import_ops.CHECK_JOB) is import_jobs.check_import
    assert jobs.declared(import_ops.COMMIT_JOB) is import_jobs.commit_import
    assert jobs.declared(zeroing_ops.PROPOSE_JOB) is zeroing_jobs.propose_backlog
    assert jobs.declared(export_ops.BUILD_JOB) is export_jobs.build_export
    # The name is the one RQ and the status page know the job by.
    assert import_jobs.check_import.spec.name == import_ops.CHECK_JOB


def test_queueing_a_job_nobody_declared_fails_at_once(app):
    from core import jobs

    with app.app_context(), pytest.raises(LookupError):
        jobs.enqueue_after_commit("core.imports.jobs.no_such_job", 1)
