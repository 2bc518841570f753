"""Writing and verifying the audit trail.

Each unit has its own chain (platform actions share the ``platform`` chain). An event's
hash is SM3 over the previous hash and the event's canonical fields, so an edit or a
deletion made behind the app's back breaks the chain at that row.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import select

from core.audit.models import PLATFORM_CHAIN, AuditChainHead, AuditEvent
from core.clock import as_utc, utcnow
from core.crypto import sm3_hex
from core.extensions import db
from core.models import upsert_insert

GENESIS = "0" * 64


def chain_for(unit_id: int | None) -> str:
    return PLATFORM_CHAIN if unit_id is None else f"unit:{unit_id}"


def _canonical(event: AuditEvent) -> bytes:
    fields = {
        "chain": event.chain,
        "seq": event.seq,
        "occurred_at": as_utc(event.occurred_at).isoformat(timespec="microseconds"),
        "account_id": event.account_id,
        "account_name": event.account_name,
        "unit_id": event.unit_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "address": event.address,
        "detail": event.detail,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: AuditEvent) -> str:
    return sm3_hex(event.prev_hash.encode() + _canonical(event))


def _insert_ignore(table, values):
    return upsert_insert(table).values(**values).on_conflict_do_nothing()


def record(
    action: str,
    *,
    outcome: str = "ok",
    unit_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    account=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction (so it commits or rolls back with the change)."""
    from flask_login import current_user

    if account is None and has_request_context() and current_user and current_user.is_authenticated:
        account = current_user
    chain = chain_for(unit_id)
    db.session.execute(_insert_ignore(AuditChainHead.__table__, {"chain": chain, "seq": 0, "hash": GENESIS}))
    head = db.session.execute(
        select(AuditChainHead).where(AuditChainHead.chain == chain).with_for_update()
    ).scalar_one()
    event = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        occurred_at=utcnow(),
        account_id=getattr(account, "id", None),
        account_name=getattr(account, "username", None),
        unit_id=unit_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        address=request.remote_addr if has_request_context() else None,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        prev_hash=head.hash,
    )
    event.hash = event_hash(event)
    head.seq, head.hash = event.seq, event.hash
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class ChainBreak:
    chain: str
    seq: int
    event_id: int | None
    reason: str


def verify_chain(chain: str) -> ChainBreak | None:
    """Recompute one chain; return the first row where it breaks, or None."""
    prev = GENESIS
    expected_seq = 1
    last_id = None
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    ):
        if event.seq != expected_seq:
            return ChainBreak(chain, expected_seq, event.id, "missing event (sequence gap)")
        if event.prev_hash != prev:
            return ChainBreak(chain, event.seq, event.id, "link to the previous event altered")
        if event_hash(event) != event.hash:
            return ChainBreak(chain, event.seq, event.id, "event content altered")
        prev, expected_seq, last_id = event.hash, expected_seq + 1, event.id
    head = db.session.get(AuditChainHead, chain)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        return ChainBreak(chain, expected_seq, last_id, "events missing at the end of the chain")
    return None


def verify_all() -> list[ChainBreak]:
    chains = db.session.scalars(select(AuditChainHead.chain).order_by(AuditChainHead.chain)).all()
    return [brk for chain in chains if (brk := verify_chain(chain)) is not None]
