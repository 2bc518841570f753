"""The acting context of a request or job: who acts, in which unit, in which capacity.

It is the input of all three isolation layers: the scoped loader and the ORM
auto-filter read it in Python; on PostgreSQL it is copied into transaction-local
settings (``set_config(..., true)``) at the start of every transaction, where the
row-level-security policies read it. No context means no tenant rows.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace

from flask import g, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ActingContext:
    account_id: int | None = None
    unit_id: int | None = None
    unit_path: str | None = None
    platform_role: str | None = None
    # Only CLI maintenance commands and cross-unit jobs set this; never a request.
    maintenance: bool = False

    def settings(self) -> dict[str, str]:
        return {
            "qinglian.account_id": str(self.account_id or ""),
            "qinglian.unit_id": str(self.unit_id or ""),
            "qinglian.unit_path": self.unit_path or "",
            "qinglian.platform_role": self.platform_role or "",
            "qinglian.maintenance": "on" if self.maintenance else "",
        }


NO_CONTEXT = ActingContext()
_SET_CONFIG = text(
    "SELECT set_config('qinglian.account_id', :a, true), set_config('qinglian.unit_id', :u, true),"
    " set_config('qinglian.unit_path', :p, true), set_config('qinglian.platform_role', :r, true),"
    " set_config('qinglian.maintenance', :m, true)"
)


def current() -> ActingContext:
    if not has_app_context():
        return NO_CONTEXT
    return g.get("acting_context", NO_CONTEXT)


def activate(ctx: ActingContext, session: Session | None = None) -> None:
    """Make ``ctx`` current; re-apply it to a transaction already open on ``session``."""
    g.acting_context = ctx
    if session is None:
        return
    real = session() if hasattr(session, "registry") else session  # a scoped_session proxies the real one
    if real.in_transaction() and real.get_bind().dialect.name == "postgresql":
        _apply(real.connection(), ctx)


@contextmanager
def acting(ctx: ActingContext, session: Session | None = None):
    previous = current()
    activate(ctx, session)
    try:
        yield ctx
    finally:
        activate(previous, session)


@contextmanager
def writing_as(unit_id: int, unit_path: str | None, session: Session | None = None):
    """Write another unit's own rows as that unit, so RLS admits exactly its rows.

    Downward items put entries in the receiver's inbox, reports in the issuer's, and a higher
    unit acting on a shared record moves the owner's stats rows; each stays writable only by
    its own unit. Pending changes are flushed first: they are written as the caller.
    """
    ctx = current()
    if ctx.maintenance or ctx.unit_id == unit_id:
        yield
        return
    if session is None:
        from core.extensions import db

        session = db.session
    session.flush()
    with acting(replace(ctx, unit_id=unit_id, unit_path=unit_path), session), session.no_autoflush:
        yield


def maintenance_context(**overrides) -> ActingContext:
    return replace(ActingContext(maintenance=True), **overrides)


def _apply(connection, ctx: ActingContext) -> None:
    s = ctx.settings()
    connection.execute(
        _SET_CONFIG,
        {
            "a": s["qinglian.account_id"],
            "u": s["qinglian.unit_id"],
            "p": s["qinglian.unit_path"],
            "r": s["qinglian.platform_role"],
            "m": s["qinglian.maintenance"],
        },
    )


@event.listens_for(Session, "after_begin")
def _set_transaction_context(session, transaction, connection):
    # Transaction-local settings cannot leak through the pool to the next user. A transaction begins with
    # none of them (nothing sets them for the session), which is what no context means: nothing to send.
    ctx = current()
    if connection.dialect.name == "postgresql" and ctx != NO_CONTEXT:
        _apply(connection, ctx)
