"""Cases (审查调查): a unit's case opened from a lead verified with 建议立案, its file (investigation steps, findings,
the proposed decision), the rounds of its review (镇案县审), the decision and its execution (处分执行).

The persons concerned are sealed at rest like the lead's (core.clearing.models.SealedPerson). A review round
(``CaseReview``) is the reviewing unit's own row, with the case's unit as its counterparty: the county keeps what it
reviewed, the township reads the opinions and writes its answer to a send-back. The case, its persons and its steps
reach the county only through the shares of a review (or of a late execution's watch).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.cases.workflow import CASE_FLOW, CATEGORIES, EXECUTION_KINDS, OPINION_LABELS, STEP_KINDS, kind_label
from core.clearing.models import SealedPerson
from core.crypto import seal_pending
from core.extensions import db
from core.handlers.models import Handled
from core.identity.models import Account
from core.leads.models import FORM_LABELS, LEVEL_LABELS, Form, PersonLevel
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned


@seal_pending
class CasePerson(SealedPerson, TenantOwned, db.Model):
    """A person the case concerns (被审查调查人), copied from the lead: name, position, work unit sealed."""

    __tablename__ = "case_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    position_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    level: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    party_member: Mapped[bool | None] = mapped_column(Boolean)
    name_key: Mapped[str] = mapped_column(String(64), nullable=False, default="", index=True)

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[PersonLevel(self.level)]) if self.level else ""


class CaseStep(TenantOwned, db.Model):
    """One dated entry of the investigation (谈话, 调取证据, 函询 …)."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    @property
    def kind_label(self) -> str:
        return str(STEP_KINDS.get(self.kind, ""))


class ExecutionStep(TenantOwned, VersionedMixin, db.Model):
    """One step of a decision's execution (处分执行): delivery, the file entry, an effect; due, then done."""

    __tablename__ = "case_execution_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    position_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    @property
    def kind_label(self) -> str:
        return str(EXECUTION_KINDS.get(self.kind, ""))


class Case(Handled, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"), UniqueConstraint("lead_id"),
                      Index("ix_cases_queue", "unit_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), nullable=False)
    lead_number: Mapped[str] = mapped_column(String(64), nullable=False)
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    self_handled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 镇街自办案件
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="investigating")
    findings: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 查明的事实
    # 处理意见: {"category", "kind", "form", "reasons"}; the decision copies the one the review agreed.
    proposal: Mapped[dict | None] = mapped_column(JSON)
    review_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # who reviews (the county, or itself)
    review_round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    review_due_on: Mapped[date | None] = mapped_column(Date)  # the open round's deadline
    decision: Mapped[dict | None] = mapped_column(JSON)  # {"category", "kind", "form", "note", "by"}
    decided_on: Mapped[date | None] = mapped_column(Date)
    sanction: Mapped[str | None] = mapped_column(String(16))  # the decision's category (figures)
    form: Mapped[str | None] = mapped_column(String(16))  # 四种形态 of the decision
    execution_due_on: Mapped[date | None] = mapped_column(Date)  # the last step's due date
    executed_on: Mapped[date | None] = mapped_column(Date)  # 执行到位

    persons: Mapped[list[CasePerson]] = relationship(order_by=CasePerson.position_order, lazy="selectin")
    steps: Mapped[list[CaseStep]] = relationship(order_by=(CaseStep.taken_on, CaseStep.id), lazy="selectin")
    execution: Mapped[list[ExecutionStep]] = relationship(order_by=ExecutionStep.position_order, lazy="selectin")
    opened_by: Mapped[Account | None] = relationship(foreign_keys=[opened_by_id])

    @property
    def state_label(self) -> str:
        return CASE_FLOW.label(self.state)

    @property
    def label(self) -> str:
        """How the inbox and other pages name the case: its number only, never a person's name."""
        return self.number

    @property
    def proposal_label(self) -> str:
        p = self.proposal or {}
        return kind_label(p.get("category"), p.get("kind"))

    @property
    def decision_label(self) -> str:
        d = self.decision or {}
        return kind_label(d.get("category"), d.get("kind"))

    @property
    def form_label(self) -> str:
        return str(FORM_LABELS[Form(self.form)]) if self.form else ""

    @property
    def sanction_label(self) -> str:
        return str(CATEGORIES.get(self.sanction or "", ""))

    def execution_overdue(self, today: date) -> bool:
        return self.state == "executing" and any(s.done_on is None and s.due_on < today for s in self.execution)


class CaseReview(TenantOwned, VersionedMixin, db.Model):
    """One round of the review (镇案县审): submitted by the case's unit, answered by the reviewing unit (同意 / 退回补充
    调查 / 建议改变定性或处分), a send-back answered by the case's unit before it resubmits. The reviewing unit owns it;
    the case's unit is its counterparty."""

    __tablename__ = "case_reviews"
    __counterparty__ = "case_unit_id"
    __table_args__ = (UniqueConstraint("case_id", "round"), Index("ix_case_reviews_open", "unit_id", "opinion"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    case_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    case_number: Mapped[str] = mapped_column(String(64), nullable=False)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    submitted_on: Mapped[date] = mapped_column(Date, nullable=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    proposal: Mapped[dict | None] = mapped_column(JSON)  # the proposal as submitted in this round
    opinion: Mapped[str | None] = mapped_column(String(16))  # agree / send_back / change; None while waiting
    points: Mapped[str | None] = mapped_column(Text)  # the send-back's points or the change's reasons
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    answer: Mapped[str | None] = mapped_column(Text)  # what the case's unit did about a send-back
    answered_on: Mapped[date | None] = mapped_column(Date)
    escalation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 1 reviewer warned, 2 leader

    reviewer: Mapped[Account | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def opinion_label(self) -> str:
        return str(OPINION_LABELS.get(self.opinion or "", _l("待审理")))
