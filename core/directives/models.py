"""Directives (通知/工作部署) and campaigns (专项活动) sent down the tree, their receipts and returns."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned, Unit


class DirectiveKind(StrEnum):
    DIRECTIVE = "directive"
    CAMPAIGN = "campaign"


KIND_LABELS = {DirectiveKind.DIRECTIVE: _l("通知"), DirectiveKind.CAMPAIGN: _l("专项活动")}
FIELD_TYPES = {"number": _l("数字"), "text": _l("文字"), "choice": _l("选项"), "date": _l("日期")}
RECEIPT_STATES = {"received": _l("已接收"), "acknowledged": _l("已签收")}


class Directive(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """Owned by the sending unit; each receiver sees it through its receipt row."""

    __tablename__ = "directives"
    __received_via__ = ("directive_receipts", "directive_id", "id")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=DirectiveKind.DIRECTIVE)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requires_ack: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # {"mode": "all" | "levels" | "units", "levels": [...], "unit_ids": [...]}, as the sender chose it.
    audience: Mapped[dict] = mapped_column(JSON, nullable=False)
    # The return form: [{"key", "label", "type": number|text|choice|date, "required", "choices"}]; [] = none.
    return_fields: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    return_due_on: Mapped[date | None] = mapped_column(Date)  # a one-off return
    return_cadence: Mapped[str | None] = mapped_column(String(16))  # "weekly:1" (Monday) | "monthly:20"
    return_starts_on: Mapped[date | None] = mapped_column(Date)
    return_ends_on: Mapped[date | None] = mapped_column(Date)
    forwarded_from_id: Mapped[int | None] = mapped_column(ForeignKey("directives.id"))
    purpose: Mapped[str | None] = mapped_column(String(32))  # a campaign with its own area: "zeroing"
    # Receiver levels that owe the returns (e.g. only cities file the zeroing weekly return); None = all.
    return_levels: Mapped[list | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="sent")  # sent | closed
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    sent_on: Mapped[date] = mapped_column(Date, nullable=False)

    unit: Mapped[Unit] = relationship(foreign_keys="Directive.unit_id")
    sent_by: Mapped[Account | None] = relationship()
    phases: Mapped[list[CampaignPhase]] = relationship(order_by="CampaignPhase.starts_on",
                                                       back_populates="directive")
    attachments: Mapped[list[DirectiveAttachment]] = relationship(order_by="DirectiveAttachment.id")

    @property
    def has_return(self) -> bool:
        return bool(self.return_fields)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[DirectiveKind(self.kind)])

    @property
    def numeric_fields(self) -> list[dict]:
        return [f for f in self.return_fields if f["type"] == "number"]


class DirectiveAttachment(TenantOwned, db.Model):
    """A file sent with a directive, stored in the database (RLS-protected, backed up with it)."""

    __tablename__ = "directive_attachments"
    __received_via__ = ("directive_receipts", "directive_id", "directive_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)


class CampaignPhase(TenantOwned, db.Model):
    __tablename__ = "campaign_phases"
    __received_via__ = ("directive_receipts", "directive_id", "directive_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)

    directive: Mapped[Directive] = relationship(back_populates="phases")


class DirectiveReceipt(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A receiving unit's copy: received -> acknowledged. Owned by the receiver, seen by the sender."""

    __tablename__ = "directive_receipts"
    __table_args__ = (UniqueConstraint("directive_id", "unit_id"),)
    __counterparty__ = "sender_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    sender_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="received")
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    forwarded_as_id: Mapped[int | None] = mapped_column(ForeignKey("directives.id"))
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    directive: Mapped[Directive] = relationship(foreign_keys=[directive_id])
    unit: Mapped[Unit] = relationship(foreign_keys="DirectiveReceipt.unit_id")
    acknowledged_by: Mapped[Account | None] = relationship()

    @property
    def state_label(self) -> str:
        return str(RECEIPT_STATES[self.state])


class DirectiveReturn(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One unit's return (回执/报表) for one period; its numbers roll up to the sender."""

    __tablename__ = "directive_returns"
    __table_args__ = (UniqueConstraint("directive_id", "unit_id", "period"),)
    __counterparty__ = "sender_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    sender_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    period: Mapped[str] = mapped_column(String(16), nullable=False)  # "once", "2026-11-23" (weekly), "2026-11"
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    values: Mapped[dict] = mapped_column(JSON, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    unit: Mapped[Unit] = relationship(foreign_keys="DirectiveReturn.unit_id")
    submitted_by: Mapped[Account | None] = relationship()


class CampaignEnrolment(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A record of a unit enrolled in a campaign's ledger (台账); owned by the record's unit."""

    __tablename__ = "campaign_enrolments"
    __table_args__ = (UniqueConstraint("directive_id", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | closed | reopened
    closed_on: Mapped[date | None] = mapped_column(Date)
