"""Periodic work on the audit chains: hourly checkpoints of their heads, nightly full verification."""
from __future__ import annotations

from core import context
from core.audit.operations import anchor_heads, verify_and_anchor
from core.extensions import db
from core.identity.models import PlatformRole
from core.jobs import Periodic, job


@job(queue="maintenance", timeout=3600, retries=(60, 600))
def verify_audit_chains() -> int:
    """Recompute every chain against its checkpoints and anchor the heads; the outcome is itself an audit
    event the audit admin sees."""
    context.activate(context.ActingContext(platform_role=PlatformRole.AUDIT), db.session)
    return len(verify_and_anchor())


@job(queue="maintenance", timeout=600, retries=(60, 300))
def anchor_audit_heads() -> int:
    """Sign a checkpoint for each head that moved since the last one, so events can be cut unnoticed only
    within the hour since (cheap: no recomputation, which the nightly verification does)."""
    context.activate(context.ActingContext(platform_role=PlatformRole.AUDIT), db.session)
    return len(anchor_heads())


PERIODIC = [Periodic(verify_audit_chains, cron="30 2 * * *"), Periodic(anchor_audit_heads, cron="17 * * * *")]
