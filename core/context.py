"""The acting context of a request or job: who acts, in which unit, in which capacity.

It is the input of all three isolation layers: the scoped loader and the ORM
auto-filter read it in Python; on PostgreSQL it is copied into transaction-local
settings (``set_config(..., true)``) at the start of every transaction, where the
row-level-security policies read it. No context means no tenant rows.

The settings travel with ``qinglian.context_sig``, their HMAC under the context key (derived from
SECRET_KEY; the database holds it where the app role cannot read it, tenants/rls.py). The policies
believe a setting only with a valid signature, so SQL run as the app role cannot forge a unit or turn
the maintenance flag on: it can set the values but not sign them.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

from flask import current_app, g, has_app_context
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
# The settings in the order the signature covers them (tenants/rls.py builds the same payload in SQL); the last
# is when they were signed (epoch seconds): a signature is worth nothing in a transaction begun five minutes
# after it (SIGNATURE_SECONDS), so one read by an injected statement cannot be replayed for long.
SETTING_NAMES = ("account_id", "unit_id", "unit_path", "platform_role", "maintenance", "context_issued")
SIGNATURE_SECONDS = 300
_SET_CONFIG = text("SELECT " + ", ".join(f"set_config('qinglian.{n}', :{n}, true)" for n in SETTING_NAMES)
                   + ", set_config('qinglian.context_sig', :sig, true)")


def context_key(config) -> bytes:
    """The key that signs the settings: derived from SECRET_KEY (installed in the database by every upgrade)."""
    return hmac.new(config["SECRET_KEY"].encode(), b"qinglian rls context", hashlib.sha256).digest()


def signature(values: dict[str, str], key: bytes) -> str:
    """HMAC-SHA256 of the settings, each as "<length>:<value>" (qinglian_setting() in tenants/rls.py checks it)."""
    payload = "".join(f"{len(values[n])}:{values[n]}" for n in SETTING_NAMES)
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


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
        apply(real.connection(), ctx)


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


def _database_time(connection) -> float:
    """Now in epoch seconds by the database's clock (which judges a signature's age): the process's monotonic
    clock plus an offset read from the database at most hourly, so neither the app host's clock nor a test's
    time travel moves it."""
    ext, now = current_app.extensions, time.monotonic()
    offset, read_at = ext.get("qinglian_database_clock", (0.0, None))
    if read_at is None or now - read_at > 3600:
        offset = float(connection.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar()) - now
        ext["qinglian_database_clock"] = (offset, now)
    return now + offset


def apply(connection, ctx: ActingContext) -> None:
    """Write ``ctx`` as signed transaction-local settings on a PostgreSQL connection (also a migration's
    data step: ``context.apply(op.get_bind(), context.maintenance_context())``, from 0015 on)."""
    ext = current_app.extensions
    if "qinglian_context_key" not in ext:
        ext["qinglian_context_key"] = context_key(current_app.config)
    values = {name.removeprefix("qinglian."): value for name, value in ctx.settings().items()}
    values["context_issued"] = str(int(_database_time(connection)))
    connection.execute(_SET_CONFIG, {**values, "sig": signature(values, ext["qinglian_context_key"])})


@event.listens_for(Session, "after_begin")
def _set_transaction_context(session, transaction, connection):
    # Transaction-local settings cannot leak through the pool to the next user. A transaction begins with
    # none of them (nothing sets them for the session), which is what no context means: nothing to send.
    ctx = current()
    if connection.dialect.name == "postgresql" and ctx != NO_CONTEXT:
        apply(connection, ctx)
