"""Handlers (承办人): the named officer of every record and the history of handlers (issue 19).

A record type carries its handler through the ``Handled`` mixin: a member of the owning unit (for a supervision
item, of the receiving unit), set at registration and reassigned by a leader with a reason. Every change is a
``HandlerChange`` row of the owning unit (append-only: row-level security lets nobody update one)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.identity.models import Account
from tenants.models import TenantOwned


class Handled:
    @declared_attr
    def handler_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("accounts.id"), index=True)


class HandlerChange(TenantOwned, db.Model):
    """One change of a record's handler: from whom to whom, why, by whom, when (the first: from nobody)."""

    __tablename__ = "handler_changes"
    __table_args__ = (Index("ix_handler_changes_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    from_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    to_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    from_account: Mapped[Account | None] = relationship(foreign_keys=[from_account_id])
    to_account: Mapped[Account | None] = relationship(foreign_keys=[to_account_id])
    changed_by: Mapped[Account | None] = relationship(foreign_keys=[changed_by_id])
