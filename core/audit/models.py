from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db

PLATFORM_CHAIN = "platform"


class AuditEvent(db.Model):
    """One audited access or change. The app role may only INSERT and SELECT this table."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_unit_id_occurred_at", "unit_id", "occurred_at"),
        Index("ix_audit_events_account_id_occurred_at", "account_id", "occurred_at"),
        # INSERT ... RETURNING would need the SELECT policy, which only the audit admin passes.
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chain: Mapped[str] = mapped_column(String(32), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    account_name: Mapped[str | None] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditChainHead(db.Model):
    """The tail of each chain; locking its row serialises appends to one chain."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditCheckpoint(db.Model):
    """A signed anchor of a chain's head, written by the hourly anchoring and the nightly verification (jobs):
    rows at and below ``seq`` must stay as they were (the row at ``seq`` has ``hash``). The app role may only INSERT and SELECT
    (on PostgreSQL: RLS without UPDATE/DELETE policies, migration 0014); the signature needs the audit
    key, which the database does not hold. ``keyed_from``: the chain's first row linked with HMAC-SM3."""

    __tablename__ = "audit_checkpoints"
    # Not unique on (chain, seq): a row someone else inserted first (unsigned) must not keep a real one out.
    __table_args__ = (Index("ix_audit_checkpoints_chain_seq", "chain", "seq"), {"implicit_returning": False})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chain: Mapped[str] = mapped_column(String(32), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    keyed_from: Mapped[int] = mapped_column(Integer, nullable=False)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    signature: Mapped[str] = mapped_column(String(64), nullable=False)
