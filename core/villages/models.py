"""Villages (清廉村居): a township's villages and communities as its records (never tenants), the county's grading
rounds (定期研判) that its townships read, each village's gradings (its grade history), and a C village's plan
(一村一方案) with its items (closed out, 销号) and the monthly reports its township's 一把手 hears.

- ``villages``, ``village_plans``, ``village_plan_items``, ``village_reports``: the township's own rows;
- ``grading_rounds``: the county's, read by every unit below it (``__inherited__``); only the county writes;
- ``village_gradings``: the township's, with its county as the other party (``__counterparty__``): the county reads
  the grades of its townships' villages and confirms them (a grading carries the village's name and code, so the
  county needs no read of the village itself).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from core.villages.workflow import (GRADE_LABELS, GRADING_KINDS, GRADING_STATES, ITEM_STATES, KIND_LABELS,
                                    PLAN_STATES, ROUND_STATES)
from tenants.models import TenantOwned


class Village(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("code"), Index("ix_villages_unit_grade", "unit_id", "grade"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    code: Mapped[str] = mapped_column(String(12), nullable=False)  # 12-digit division code, the township's 9 first
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="village")
    secretary_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")  # 党组织书记
    secretary_position: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    head_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")  # 村（居）委会主任
    head_position: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    grade: Mapped[str | None] = mapped_column(String(1))  # the grading in force (None: not graded yet)
    graded_on: Mapped[date | None] = mapped_column(Date)
    grading_id: Mapped[int | None] = mapped_column(Integer)  # the grading in force (village_gradings.id)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archive_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, ""))

    @property
    def grade_label(self) -> str:
        return str(GRADE_LABELS[self.grade]) if self.grade else ""

    @property
    def label(self) -> str:
        return self.name


class GradingRound(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A county's assessment round (定期研判): period, weighted criteria and the thresholds of A and B."""

    __tablename__ = "grading_rounds"
    __inherited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    period: Mapped[str] = mapped_column(String(20), nullable=False)  # 2026上半年
    criteria: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{key, name, weight}]
    threshold_a: Mapped[int] = mapped_column(Integer, nullable=False)
    threshold_b: Mapped[int] = mapped_column(Integer, nullable=False)
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    @property
    def state_label(self) -> str:
        return str(ROUND_STATES.get(self.state, ""))

    @property
    def label(self) -> str:
        return f"{self.name}（{self.period}）"


class VillageGrading(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One grading of one village: in a round (its scores per criterion, the total, the grade the thresholds give,
    a leader's override with its reason) or an extraordinary regrade a township proposes for a C village whose plan
    is all closed. In force, it is the village's grade; the gradings in force are the village's grade history."""

    __tablename__ = "village_gradings"
    __table_args__ = (UniqueConstraint("village_id", "round_id"), Index("ix_village_gradings_county", "county_id", "state"))
    __counterparty__ = "county_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("grading_rounds.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="round")
    village_name: Mapped[str] = mapped_column(String(100), nullable=False)
    village_code: Mapped[str] = mapped_column(String(12), nullable=False)
    scores: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # {criterion: {score, note}}
    total: Mapped[float | None] = mapped_column(Float)
    computed_grade: Mapped[str | None] = mapped_column(String(1))
    override_grade: Mapped[str | None] = mapped_column(String(1))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    grade: Mapped[str | None] = mapped_column(String(1))  # the override, else the computed grade
    previous_grade: Mapped[str | None] = mapped_column(String(1))  # the village's grade when this came into force
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    submitted_on: Mapped[date | None] = mapped_column(Date)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    in_force_on: Mapped[date | None] = mapped_column(Date)

    round: Mapped[GradingRound | None] = relationship(lazy="joined")
    override_by: Mapped[Account | None] = relationship(foreign_keys=[override_by_id])

    @property
    def state_label(self) -> str:
        return str(GRADING_STATES.get(self.state, ""))

    @property
    def kind_label(self) -> str:
        return str(GRADING_KINDS.get(self.kind, ""))

    @property
    def grade_label(self) -> str:
        return str(GRADE_LABELS[self.grade]) if self.grade else ""

    @property
    def label(self) -> str:
        return f"{self.village_name} {self.round.period if self.round else self.kind_label}"


class VillagePlan(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """一村一方案 of a C village, with the 重点问题督改单 (number, issue date, the two signatories) issued with it."""

    __tablename__ = "village_plans"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"), Index("ix_village_plans_village", "village_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    grading_id: Mapped[int] = mapped_column(ForeignKey("village_gradings.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    party_secretary: Mapped[str] = mapped_column(String(50), nullable=False)  # 乡镇党委书记
    discipline_secretary: Mapped[str] = mapped_column(String(50), nullable=False)  # 乡镇纪委书记
    requirements: Mapped[str] = mapped_column(Text, nullable=False, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    village: Mapped[Village] = relationship(lazy="joined")
    items: Mapped[list["VillagePlanItem"]] = relationship(order_by="VillagePlanItem.seq", lazy="selectin",
                                                          back_populates="plan")

    @property
    def state_label(self) -> str:
        return str(PLAN_STATES.get(self.state, ""))

    @property
    def label(self) -> str:
        return f"{self.village.name} 一村一方案"


class VillagePlanItem(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One problem of the plan: its measure, the responsible person (e.g. the 联村干部), the deadline; closed out
    (销号) with its evidence (a text, and files through the attachments)."""

    __tablename__ = "village_plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("village_plans.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    problem: Mapped[str] = mapped_column(Text, nullable=False)
    measure: Mapped[str] = mapped_column(Text, nullable=False)
    responsible: Mapped[str] = mapped_column(String(50), nullable=False)
    responsible_position: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    plan: Mapped[VillagePlan] = relationship(back_populates="items")

    @property
    def state_label(self) -> str:
        return str(ITEM_STATES.get(self.state, ""))

    @property
    def label(self) -> str:
        return f"一村一方案 第{self.seq}项"


class VillageReport(TenantOwned, TimestampMixin, db.Model):
    """The monthly report a C village's township 一把手 hears (每月听取1次汇报): the month, the day, who heard it,
    what was reported."""

    __tablename__ = "village_reports"
    __table_args__ = (UniqueConstraint("village_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("village_plans.id"))
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    heard_on: Mapped[date] = mapped_column(Date, nullable=False)
    heard_by: Mapped[str] = mapped_column(String(50), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
