"""Writing, verifying and anchoring the audit trail.

Each unit has its own chain (platform actions share the ``platform`` chain). An event's
hash is HMAC-SM3 (core.audit.signing) over the previous hash and the event's canonical
fields, so an edit or a deletion made behind the app's back breaks the chain at that row,
and nobody without the audit key can recompute the chain after it. The verification job
anchors each chain's head in a signed checkpoint; a chain shorter than a checkpoint, or
whose row at a checkpoint differs from it, has been cut.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app, has_request_context, request
from sqlalchemy import and_, select, union

from core.audit.models import PLATFORM_CHAIN, AuditChainHead, AuditCheckpoint, AuditEvent
from core.audit.signing import checkpoint_signature, checkpoint_valid, link_hash
from core.clock import as_utc, utcnow
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


def event_hash(event: AuditEvent, *, keyed: bool = True) -> str:
    """The row's link; ``keyed=False``: plain SM3, as rows written before 0014 were linked."""
    return link_hash(event.prev_hash, _canonical(event), keyed=keyed)


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
        # What a denied probe named comes from the request: clipped to the columns, so no input fails the audit.
        object_type=None if object_type is None else str(object_type)[:64],
        object_id=None if object_id is None else str(object_id)[:64],
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


# What verification reports, per row (or per checkpoint).
MISSING = "缺少事件（序号中断）"
RELINKED = "与前一条事件的链接被改动"
ALTERED = "事件内容被改动"
HEAD_MISMATCH = "链头与最后一条事件不符（链尾事件缺失）"
CUT = "链尾被截断：事件少于已签名的检查点"
ANCHOR_MISMATCH = "该序号的事件与已签名的检查点不符"
FORGED = "检查点签名无效（伪造或被改动）"
UNREADABLE = "检查点文件中的记录无法读取"
DETAIL_BREAKS = 500  # breaks named in the audit.verify event; the CLI prints them all


@dataclass
class ChainBreak:
    chain: str
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    seq: int
    hash: str
    keyed_from: int
    signed_at: datetime
    signature: str

    @property
    def valid(self) -> bool:
        return checkpoint_valid(self.chain, self.seq, self.hash, self.keyed_from, self.signed_at, self.signature)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "signed_at": as_utc(self.signed_at).isoformat()}, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> "Checkpoint":
        data = json.loads(line)
        return cls(str(data["chain"]), int(data["seq"]), str(data["hash"]), int(data["keyed_from"]),
                   datetime.fromisoformat(data["signed_at"]), str(data["signature"]))


def _checkpoint_files(extra: tuple[str, ...] = ()) -> list[Path]:
    published = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return [Path(p) for p in ([published] if published else []) + list(extra)]


def _read_checkpoints(extra_files: tuple[str, ...] = ()) -> tuple[set[Checkpoint], list[ChainBreak]]:
    """The checkpoints in the table, the published file and ``extra_files`` (e.g. the copy next to a backup),
    signed or not; an unreadable line of a file is a break."""
    found = {Checkpoint(*row[:4], as_utc(row[4]), row[5]) for row in db.session.execute(select(
        AuditCheckpoint.chain, AuditCheckpoint.seq, AuditCheckpoint.hash, AuditCheckpoint.keyed_from,
        AuditCheckpoint.signed_at, AuditCheckpoint.signature))}
    unreadable = []
    for path in _checkpoint_files(extra_files):
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                found.add(Checkpoint.from_json(line))
            except (ValueError, KeyError, TypeError):
                unreadable.append(ChainBreak(str(path), number, None, UNREADABLE))
    return found, unreadable


def load_checkpoints(extra_files: tuple[str, ...] = ()) -> tuple[dict[str, list[Checkpoint]], list[ChainBreak]]:
    """Every validly signed checkpoint, by chain; a forged or unreadable one is a break."""
    found, breaks = _read_checkpoints(extra_files)
    anchors: dict[str, list[Checkpoint]] = {}
    for checkpoint in found:
        if checkpoint.valid:
            anchors.setdefault(checkpoint.chain, []).append(checkpoint)
        else:
            breaks.append(ChainBreak(checkpoint.chain, checkpoint.seq, None, FORGED))
    return anchors, sorted(breaks, key=lambda b: (b.chain, b.seq))


def latest_checkpoints() -> dict[str, Checkpoint]:
    """Each chain's latest validly signed checkpoint (checking signatures only down to it)."""
    latest: dict[str, Checkpoint] = {}
    for checkpoint in sorted(_read_checkpoints()[0], key=lambda c: (c.chain, -c.seq)):
        if checkpoint.chain not in latest and checkpoint.valid:
            latest[checkpoint.chain] = checkpoint
    return latest


def verify_chain(chain: str, checkpoints: list[Checkpoint] = ()) -> list[ChainBreak]:
    """Recompute one chain against its checkpoints; every break, in order.

    Each row is checked against its stored predecessor, so one edit or gap is reported once and the
    rows after it are still checked. Rows below the checkpoints' ``keyed_from`` use the plain SM3
    link; without a checkpoint every row must be keyed."""
    anchored = {c.seq: c.hash for c in checkpoints}
    latest = max(checkpoints, key=lambda c: c.seq, default=None)
    keyed_from = latest.keyed_from if latest else 1
    breaks: list[ChainBreak] = []
    prev_seq, prev_hash = 0, GENESIS
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    ):
        if event.seq != prev_seq + 1:
            breaks.append(ChainBreak(chain, prev_seq + 1, event.id, MISSING))
        elif event.prev_hash != prev_hash:
            breaks.append(ChainBreak(chain, event.seq, event.id, RELINKED))
        if event_hash(event, keyed=event.seq >= keyed_from) != event.hash:
            breaks.append(ChainBreak(chain, event.seq, event.id, ALTERED))
        if anchored.get(event.seq, event.hash) != event.hash:
            breaks.append(ChainBreak(chain, event.seq, event.id, ANCHOR_MISMATCH))
        prev_seq, prev_hash = event.seq, event.hash
    head = db.session.get(AuditChainHead, chain)
    if head is not None and (head.seq, head.hash) != (prev_seq, prev_hash):
        breaks.append(ChainBreak(chain, prev_seq + 1, None, HEAD_MISMATCH))
    if latest and prev_seq < latest.seq:
        breaks.append(ChainBreak(chain, prev_seq + 1, None, CUT))
    return breaks


def verify_all(checkpoint_files: tuple[str, ...] = ()) -> list[ChainBreak]:
    """Every break of every chain: those with a head, with rows, or with a checkpoint (a chain deleted
    whole, head and all, is still named by its checkpoints)."""
    anchors, breaks = load_checkpoints(checkpoint_files)
    chains = set(db.session.scalars(union(select(AuditChainHead.chain), select(AuditEvent.chain).distinct())))
    for chain in sorted(chains | set(anchors)):
        breaks += verify_chain(chain, anchors.get(chain, []))
    return breaks


def anchor_heads() -> list[Checkpoint]:
    """Sign a checkpoint for each chain whose head has moved past its last checkpoint, store it and append
    it to the published file. A head that is not its chain's last row is never anchored; rows anchored are
    not thereby trusted (verification still recomputes them)."""
    anchors = latest_checkpoints()
    signed_at = utcnow()
    heads = db.session.execute(
        select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash)
        .join(AuditEvent, and_(AuditEvent.chain == AuditChainHead.chain, AuditEvent.seq == AuditChainHead.seq,
                               AuditEvent.hash == AuditChainHead.hash))
        .order_by(AuditChainHead.chain)
    ).all()
    written = []
    for chain, seq, hash_ in heads:
        latest = anchors.get(chain)
        if latest and latest.seq >= seq:
            continue
        keyed_from = latest.keyed_from if latest else 1
        checkpoint = Checkpoint(chain, seq, hash_, keyed_from, signed_at,
                                checkpoint_signature(chain, seq, hash_, keyed_from, signed_at))
        db.session.execute(AuditCheckpoint.__table__.insert().values(
            chain=chain, seq=seq, hash=hash_, keyed_from=keyed_from, signed_at=signed_at,
            signature=checkpoint.signature))
        written.append(checkpoint)
    published = _checkpoint_files()
    if written and published:
        with published[0].open("a", encoding="utf-8") as out:
            out.writelines(c.to_json() + "\n" for c in written)
    return written


def verify_and_anchor(checkpoint_files: tuple[str, ...] = ()) -> list[ChainBreak]:
    """The verification run (job and CLI): every break, then fresh checkpoints; the outcome is itself an
    audit event the audit admin sees (naming the first DETAIL_BREAKS breaks and their total)."""
    breaks = verify_all(checkpoint_files)
    anchored = anchor_heads()
    detail = {"checkpoints": len(anchored)}
    if breaks:
        detail.update(total=len(breaks), breaks=[asdict(b) for b in breaks[:DETAIL_BREAKS]])
    record("audit.verify", outcome="failed" if breaks else "ok", detail=detail)
    return breaks


def record_failed_request(exc) -> None:
    """A request that failed unexpectedly (500) leaves an audit entry, in its own transaction (the request's own
    changes are rolled back, as after a denial). The app factory hooks it into the error handler."""
    from flask import g

    original = getattr(exc, "original_exception", None) or exc
    try:
        db.session.rollback()
        record("request.failed", outcome="failed", unit_id=getattr(g.get("unit"), "id", None),
               object_type=request.endpoint, detail={"method": request.method, "path": request.path,
                                                     "error": type(original).__name__})
        db.session.commit()
    except Exception:  # the 500 page is still owed: an audit that cannot be written is logged instead
        db.session.rollback()
        current_app.logger.exception("could not audit the failed request %s %s", request.method, request.path)
