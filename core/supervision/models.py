"""Supervision items (督办件): issued by a unit to a descendant, tracked to acceptance."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from core.handlers.models import Handled
from tenants.models import TenantOwned, Unit


class ItemKind(StrEnum):
    REGISTERED = "registered"  # 挂号督办: about a record of the receiver, progress reports at a cadence
    RECTIFICATION = "rectification"  # 整改交办单/督改单: problems, each answered and checked off
    ASSIGNED = "assigned"  # 交办件
    TALK = "talk"  # 约谈: the record of an admonition talk
    CHECK = "check"  # 三期检查: the record of a plan/progress/effect check of a lower unit's case
    TASK = "task"  # 协作区任务: a joint meeting's decision given to named member units (core.zones)


KIND_LABELS = {
    ItemKind.REGISTERED: _l("挂号督办"),
    ItemKind.RECTIFICATION: _l("整改交办单"),
    ItemKind.ASSIGNED: _l("交办件"),
    ItemKind.TALK: _l("约谈"),
    ItemKind.CHECK: _l("督导检查"),
    ItemKind.TASK: _l("协作区任务"),
}
# Records, not tasks: they are created in state "recorded" and have no deadline.
RECORD_KINDS = (ItemKind.TALK, ItemKind.CHECK)


class CheckPhase(StrEnum):
    """The seed's 三期工作法 of supervising clearing."""

    PLAN = "plan"
    PROGRESS = "progress"
    EFFECT = "effect"


CHECK_PHASE_LABELS = {CheckPhase.PLAN: _l("前期查方案"), CheckPhase.PROGRESS: _l("中期查进度"),
                      CheckPhase.EFFECT: _l("后期查效果")}


class SupervisionItem(Handled, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """Owned by the issuing unit; the receiving unit is its counterparty (reads and reports)."""

    __tablename__ = "supervision_items"
    __table_args__ = (Index("ix_supervision_items_open_due", "state", "due_on"),)
    __counterparty__ = "recipient_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The record concerned (挂号督办: a petition or clearing case of the receiver; a check: the case checked).
    # Registered supervision lets the issuer read it through a share while the item is open.
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    subject_label: Mapped[str | None] = mapped_column(String(200))
    share_id: Mapped[int | None] = mapped_column(ForeignKey("shares.id"))
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="issued")
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    report_cadence: Mapped[str | None] = mapped_column(String(16))  # "weekly:1" — progress report every Monday
    next_report_on: Mapped[date | None] = mapped_column(Date)
    # 0: none; 1: warned the receiver's leader; 2: raised to the issuer (who may hold a talk).
    escalation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_items.id"))  # a talk about an item
    talk: Mapped[dict | None] = mapped_column(JSON)  # 约谈: who, whom, held_on, reason, outcome
    inspection: Mapped[dict | None] = mapped_column(JSON)  # 检查: phase, checked_on, checked_by, findings
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship(foreign_keys="SupervisionItem.unit_id")
    recipient_unit: Mapped[Unit] = relationship(foreign_keys=[recipient_unit_id])
    issued_by: Mapped[Account | None] = relationship(foreign_keys=[issued_by_id])
    problems: Mapped[list[SupervisionProblem]] = relationship(order_by="SupervisionProblem.seq",
                                                              back_populates="item")
    reports: Mapped[list[ProgressReport]] = relationship(order_by="ProgressReport.id")

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[ItemKind(self.kind)])

    @property
    def is_open(self) -> bool:
        return self.state in ("issued", "received", "in_progress", "reported_done")

    @property
    def check_phase_label(self) -> str:
        return str(CHECK_PHASE_LABELS[CheckPhase(self.inspection["phase"])]) if self.inspection else ""


class SupervisionProblem(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One problem of a rectification order: the receiver answers it, the issuer checks it off (销号)."""

    __tablename__ = "supervision_problems"
    __counterparty__ = "recipient_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_items.id"), nullable=False, index=True)
    recipient_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    requirement: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    checked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    item: Mapped[SupervisionItem] = relationship(back_populates="problems")


class ProgressReport(TenantOwned, db.Model):
    """A progress report (进展报告) from the receiver, or its final report of completion."""

    __tablename__ = "supervision_reports"
    __counterparty__ = "recipient_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_items.id"), nullable=False, index=True)
    recipient_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    final: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    reported_on: Mapped[date] = mapped_column(Date, nullable=False)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    reported_by: Mapped[Account | None] = relationship()
