"""Periodic verification of the audit chains."""
from __future__ import annotations

from core import context
from core.audit.operations import record, verify_all
from core.extensions import db
from core.identity.models import PlatformRole
from core.jobs import Periodic, job


@job(queue="maintenance", timeout=3600, retries=(60, 600))
def verify_audit_chains() -> int:
    """Recompute every chain; the outcome is itself an audit event the audit admin sees."""
    context.activate(context.ActingContext(platform_role=PlatformRole.AUDIT), db.session)
    breaks = verify_all()
    record("audit.verify", outcome="ok" if not breaks else "failed",
           detail={"breaks": [vars(b) for b in breaks]} if breaks else None)
    return len(breaks)


PERIODIC = [Periodic(verify_audit_chains, cron="30 2 * * *")]
