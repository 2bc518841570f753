"""Attachments (附件): one row per file of a record; the file itself lies sealed in the storage directory.

The row belongs to the owning record's unit (``unit_id``), so isolation follows the record: the record's other
party (a supervision item's receiver, a return's sender: ``counterpart_unit_id``) reads it as a second audience,
and a share of the record admits it only when the share's purpose allows files (core.attachments.queries).
The plain file's SM3 digest is kept here and checked on every download. Nothing is deleted: a file is archived
with a reason and stays stored.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from tenants.models import TenantOwned


class Attachment(TenantOwned, db.Model):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_object", "object_type", "object_id"),)
    __counterparty__ = "counterpart_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    # The record's other party when it has one (its model's ``__counterparty__``), copied at upload.
    counterpart_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # core.attachments.kinds, sniffed
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sm3: Mapped[str] = mapped_column(String(64), nullable=False)  # of the plain file
    storage_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    informant: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # identifies the informant
    uploaded_in_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    archive_reason: Mapped[str | None] = mapped_column(Text)

    uploaded_by: Mapped[Account | None] = relationship(foreign_keys=[uploaded_by_id])
    archived_by: Mapped[Account | None] = relationship(foreign_keys=[archived_by_id])

    @property
    def associated(self) -> bytes:
        """What the sealed file is bound to: this row's unit, record and storage key (a file copied under
        another row, or another record's file put in its place, fails to open)."""
        return f"attachments:{self.unit_id}:{self.object_type}:{self.object_id}:{self.storage_key}".encode()
