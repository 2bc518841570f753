"""The casebook area's records (典型案例 · 指导案例).

- ``casebook_cases``: a guidance case a province or city publishes for its whole subtree (``__inherited__``: every
  unit below reads it, only the publisher writes it): title, situation (情形), scope (范围), method (方式), the names of
  the document templates used (their files through core.attachments), the anonymised narrative, its tags;
- ``casebook_proposals``: a case a lower unit proposes from its own work to an upper unit of its choice (its city or
  the province, ``__counterparty__``): the proposer's row, which the publisher's leader edits and publishes (a new
  ``casebook_cases`` row of the publisher) or returns with a reason;
- ``casebook_references``: a record of the unit (a clearing case, a lead, a petition) naming a guidance case it
  follows as 参照案例; the record's unit's row, removed by archiving (nothing is hard-deleted).

Nothing here names a person: the operations refuse text holding a name found in the writing unit's records.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.casebook.workflow import CASE_STATES, PROPOSAL_STATES
from core.extensions import db
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned, Unit


class CaseText:
    """The fields a published case and a proposal share."""

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    situation: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 情形
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 范围
    method: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 方式
    templates: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # names of the document templates
    narrative: Mapped[str] = mapped_column(Text, nullable=False)  # the anonymised narrative
    tags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # "family:value"
    # "|family:value|…|": the tag filter as a portable LIKE (SQLite and PostgreSQL alike).
    tag_index: Mapped[str] = mapped_column(Text, nullable=False, default="|")
    warnings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # field -> ID/phone pattern warnings

    @property
    def tag_pairs(self) -> list[tuple[str, str]]:
        return [tuple(t.split(":", 1)) for t in self.tags or [] if ":" in t]


class GuidanceCase(CaseText, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "casebook_cases"
    __inherited__ = True
    __table_args__ = (UniqueConstraint("unit_id", "seq"), Index("ix_casebook_cases_state", "unit_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="published")
    published_on: Mapped[date] = mapped_column(Date, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    # Proposed from below: the proposal and the proposing unit's name (a unit, never a person).
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    source_unit_name: Mapped[str | None] = mapped_column(String(100))

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def number(self) -> str:
        return f"第{self.seq}号"

    @property
    def label(self) -> str:
        return f"指导案例{self.number}"

    @property
    def state_label(self) -> str:
        return str(CASE_STATES.get(self.state, ""))


class CaseProposal(CaseText, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "casebook_proposals"
    __counterparty__ = "publisher_id"
    __table_args__ = (Index("ix_casebook_proposals_publisher", "publisher_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publisher_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")
    proposed_on: Mapped[date] = mapped_column(Date, nullable=False)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("casebook_cases.id"))

    unit: Mapped[Unit] = relationship(foreign_keys="CaseProposal.unit_id", lazy="joined")
    publisher: Mapped[Unit] = relationship(foreign_keys=[publisher_id], lazy="joined")

    @property
    def label(self) -> str:
        return f"推荐案例：{self.title}"

    @property
    def state_label(self) -> str:
        return str(PROPOSAL_STATES.get(self.state, ""))


class CaseReference(TenantOwned, TimestampMixin, db.Model):
    __tablename__ = "casebook_references"
    __table_args__ = (Index("ix_casebook_references_record", "unit_id", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("casebook_cases.id"), nullable=False, index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
