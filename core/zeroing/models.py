"""The backlog-zeroing campaign (信访积案动态清零): a campaign (core.directives) whose ledger holds
backlog cases — one leader, one task force, one plan each (一件积案、一名领导包案、一个工作专班、
一套化解方案) — closed out weekly (一周一销号), bulletined monthly (一月一通报), re-checked (回头看).
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from core.petitions.models import Petition
from core.handlers.models import Handled
from tenants.models import TenantOwned

PURPOSE = "zeroing"  # Directive.purpose of the zeroing campaign
PHASES = (_l("集中排查"), _l("带件下访/下沉接访"), _l("动态清零"), _l("回头看"))
CASE_STATES = {"proposed": _l("待纳入"), "open": _l("化解中"), "closed_out": _l("已销号"), "declined": _l("不纳入")}
VISIT_KINDS = {"down_visit": _l("带件下访"), "reception": _l("下沉接访")}
CLOSEOUT_BASES = {"resolved": _l("已化解（举报人满意）"), "concluded": _l("依法终结（信访事项已办结）")}
RECHECK_RESULTS = {"pass": _l("通过"), "fail": _l("未通过，重新化解")}


class BacklogCase(Handled, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A petition on the unit's backlog ledger (积案台账) of one zeroing campaign."""

    __tablename__ = "backlog_cases"
    __table_args__ = (UniqueConstraint("directive_id", "petition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), nullable=False, index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_enrolments.id"))
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # flagged (proposed by the system) | added
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")
    owner_name: Mapped[str | None] = mapped_column(String(50))  # 包案领导
    owner_position: Mapped[str | None] = mapped_column(String(100))
    task_force: Mapped[str | None] = mapped_column(Text)  # 工作专班
    plan: Mapped[str | None] = mapped_column(Text)  # 化解方案
    target_on: Mapped[date | None] = mapped_column(Date)
    adopted_on: Mapped[date | None] = mapped_column(Date)
    closed_out_on: Mapped[date | None] = mapped_column(Date)
    closeout: Mapped[dict | None] = mapped_column(JSON)  # basis, note
    sampled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # drawn for 回头看
    rechecks: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{checked_on, by, result, note}]
    reopened_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    decline_reason: Mapped[str | None] = mapped_column(Text)

    petition: Mapped[Petition] = relationship()
    visits: Mapped[list[BacklogVisit]] = relationship(order_by="BacklogVisit.visited_on",
                                                      back_populates="backlog_case")

    @property
    def state_label(self) -> str:
        return str(CASE_STATES[self.state])

    def overdue(self, today: date) -> bool:
        return self.state == "open" and self.target_on is not None and self.target_on < today


class BacklogVisit(TenantOwned, TimestampMixin, db.Model):
    """A leader's visit with the case (带件下访) or reception at the grassroots (下沉接访)."""

    __tablename__ = "backlog_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    backlog_case_id: Mapped[int] = mapped_column(ForeignKey("backlog_cases.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    leader: Mapped[str] = mapped_column(String(100), nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    met: Mapped[str] = mapped_column(String(200), nullable=False)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    backlog_case: Mapped[BacklogCase] = relationship(back_populates="visits")
    recorded_by: Mapped[Account | None] = relationship()

    @property
    def kind_label(self) -> str:
        return str(VISIT_KINDS[self.kind])


class CampaignBulletin(TenantOwned, db.Model):
    """The monthly bulletin (一月一通报) of a unit's subtree: figures frozen at the cut-off."""

    __tablename__ = "campaign_bulletins"
    __table_args__ = (UniqueConstraint("directive_id", "unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), nullable=False, index=True)
    period: Mapped[str] = mapped_column(String(16), nullable=False)  # "2026-11"
    cutoff_on: Mapped[date] = mapped_column(Date, nullable=False)
    figures: Mapped[dict] = mapped_column(JSON, nullable=False)  # {"totals": {...}, "children": [...]}
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
