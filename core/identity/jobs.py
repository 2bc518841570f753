"""Periodic housekeeping of login sessions."""
from __future__ import annotations

from sqlalchemy import select

from core import context
from core.clock import utcnow
from core.extensions import db
from core.identity import operations as identity_ops
from core.identity.models import LoginSession
from core.jobs import Periodic, job


@job(queue="maintenance", timeout=600, retries=(60,))
def end_stale_sessions() -> int:
    """End login sessions past their idle or absolute timeout (idempotent)."""
    context.activate(context.maintenance_context(), db.session)
    now = utcnow()
    ended = 0
    for login_session in db.session.scalars(select(LoginSession).where(LoginSession.ended_at.is_(None))):
        reason = identity_ops.session_expiry_reason(login_session, now)
        if reason:
            identity_ops.end_session(login_session, reason)
            ended += 1
    return ended


PERIODIC = [Periodic(end_stale_sessions, cron="*/15 * * * *")]
