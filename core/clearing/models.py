"""Clearing names (澄清正名): the candidate pool, green-channel applications, quarterly batches,
the six-stage chain of a clearing case, the conditions list and the follow-up visits.

A clearing case never holds an informant's identity: it names the accused person (who asked
for, or is owed, the clearing) and the accusation, so a share of it to the reviewing higher
unit, its documents and its exports carry nothing confidential about who reported.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import dictionaries
from core.clearing.workflow import OPEN
from core.crypto import Sealed, name_key, person_key, seal_pending  # noqa: F401 (the keys, for callers)
from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from core.handlers.models import Handled
from tenants.models import TenantOwned, Unit


class Priority(StrEnum):
    """Why a candidate is cleared first (the seed: 优先澄清件)."""

    FRONTLINE = "frontline"  # 基层一线岗位
    REFORM = "reform"  # 改革发展
    RURAL = "rural"  # 乡村振兴
    LAND = "land"  # 征地拆迁
    GOOD_RECORD = "good_record"  # 工作实绩优、群众口碑好


PRIORITY_LABELS = {
    Priority.FRONTLINE: _l("基层一线"),
    Priority.REFORM: _l("改革发展"),
    Priority.RURAL: _l("乡村振兴"),
    Priority.LAND: _l("征地拆迁"),
    Priority.GOOD_RECORD: _l("实绩优、口碑好"),
}


class SubjectKind(StrEnum):
    PERSON = "person"
    UNIT = "unit"  # a clearing may concern an organisation (the seed: "6家单位")


SUBJECT_LABELS = {SubjectKind.PERSON: _l("个人"), SubjectKind.UNIT: _l("单位")}


class Method(StrEnum):
    NOTICE = "notice"
    PARTY_MEETING = "party_meeting"
    VILLAGE_MEETING = "village_meeting"
    PUBLIC_MEETING = "public_meeting"
    MEDIA = "media"


# 数据字典 (core.dictionaries): offices relabel, add or deactivate ways of clearing a name.
METHOD_LABELS = dictionaries.declare("clearing_methods", _l("澄清方式"), {
    Method.NOTICE: _l("书面澄清通知书"),
    Method.PARTY_MEETING: _l("党组织会议"),
    Method.VILLAGE_MEETING: _l("村民代表大会"),
    Method.PUBLIC_MEETING: _l("澄清正名会"),
    Method.MEDIA: _l("媒体公开澄清"),
}, area=_l("澄清正名"))

# The quality checklist of the 澄清质效评估小组.
CHECKLIST = {
    "verified_fully": _l("是否核查全面"),
    "conclusion_clear": _l("是否结论清楚"),
    "handling_done": _l("是否处置到位"),
}


class VisitKind(StrEnum):
    """一人四访: whom a follow-up visit is with."""

    PERSON = "person"
    ORG_HEAD = "org_head"
    COLLEAGUES = "colleagues"
    FAMILY = "family"


VISIT_LABELS = {
    VisitKind.PERSON: _l("本人"),
    VisitKind.ORG_HEAD: _l("所在党组织主要负责人"),
    VisitKind.COLLEAGUES: _l("同事"),
    VisitKind.FAMILY: _l("亲朋好友"),
}


def priority_rank(flags: list[str]) -> int:
    return len(set(flags) & set(Priority.__members__.values()))


class ClearingCondition(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One entry of the conditions list 正反清单: drawn up by a province or city, inherited below."""

    __tablename__ = "clearing_conditions"
    __inherited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    negative: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text: Mapped[str] = mapped_column(String(300), nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()


class ClearingBatch(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A quarterly round of clearing planned from the pool (每季度集中澄清)."""

    __tablename__ = "clearing_batches"
    __table_args__ = (UniqueConstraint("unit_id", "year", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    target_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    @property
    def name(self) -> str:
        return f"{self.year}年第{self.quarter}季度"


class SealedPerson:
    """The person a clearing concerns, sealed (SM4-GCM bound to table, unit and id); the attributes without
    the ``sealed_`` prefix read and write plain text."""

    sealed_person_name: Mapped[str] = mapped_column("person_name", Text, nullable=False, default="")
    sealed_person_position: Mapped[str] = mapped_column("person_position", Text, nullable=False, default="")
    sealed_person_work_unit: Mapped[str] = mapped_column("person_work_unit", Text, nullable=False, default="")
    person_name = Sealed("sealed_person_name")
    person_position = Sealed("sealed_person_position")
    person_work_unit = Sealed("sealed_person_work_unit")


@seal_pending
class ClearingCandidate(SealedPerson, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A concluded unfounded accusation (不属实) in the unit's pool 备选库, waiting to be screened."""

    __tablename__ = "clearing_candidates"
    __table_args__ = (Index("ix_clearing_candidates_pool", "unit_id", "state", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), nullable=False)  # the concluded matter's number
    concluded_on: Mapped[date] = mapped_column(Date, nullable=False)
    subject_kind: Mapped[str] = mapped_column(String(8), nullable=False, default=SubjectKind.PERSON)
    accusation: Mapped[str] = mapped_column(Text, nullable=False)
    finding: Mapped[str] = mapped_column(Text, nullable=False, default="")
    priority_flags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pool")  # pool / accepted / unsuitable
    screening_reason: Mapped[str | None] = mapped_column(Text)
    screened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("clearing_batches.id"), index=True)
    # The unit's own petition concluded unfounded that put the person here (None: recorded by hand).
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), index=True)

    batch: Mapped[ClearingBatch | None] = relationship()


@seal_pending
class ClearingCase(Handled, SealedPerson, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """澄清正名件: apply → assess → review → clear → feedback → file, then four follow-up visits."""

    __tablename__ = "clearing_cases"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "seq"),
        # The queue: a unit's cases by state and deadline; on PostgreSQL its open cases, already in
        # deadline order, so a page reads 50 index entries instead of sorting the unit's open cases.
        Index("ix_clearing_cases_queue", "unit_id", "state", "due_on"),
        Index("ix_clearing_cases_open_due", "unit_id", "due_on", "id", postgresql_include=["state"],
              postgresql_where=text("state IN ({})".format(", ".join(f"'{s}'" for s in OPEN)))),
        Index("ix_clearing_cases_person", "unit_id", "person_key"),
        Index("ix_clearing_cases_person_name", "unit_id", "person_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)  # also the clearing notice's number
    origin: Mapped[str] = mapped_column(String(16), nullable=False)  # pool / green_channel
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("clearing_candidates.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("clearing_batches.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    subject_kind: Mapped[str] = mapped_column(String(8), nullable=False, default=SubjectKind.PERSON)
    person_key: Mapped[str] = mapped_column(String(200), nullable=False)  # person_key(): name and work unit
    person_name_key: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # name_key(): search
    accusation: Mapped[str] = mapped_column(Text, nullable=False)
    finding: Mapped[str] = mapped_column(Text, nullable=False, default="")
    request: Mapped[str] = mapped_column(Text, nullable=False, default="")  # the green-channel application
    applied_on: Mapped[date] = mapped_column(Date, nullable=False)
    priority_flags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 敏感复杂: 提级审核
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="applied")
    due_on: Mapped[date | None] = mapped_column(Date)  # the deadline of the step at hand
    # What each stage recorded (also in the stage's history row).
    assessment: Mapped[dict | None] = mapped_column(JSON)  # checklist, condition ids, joint opinion
    override_reason: Mapped[str | None] = mapped_column(Text)  # a leader clearing despite a negative condition
    review: Mapped[dict | None] = mapped_column(JSON)  # opinion, by which unit
    reviewing_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    share_id: Mapped[int | None] = mapped_column(ForeignKey("shares.id"))
    plan: Mapped[dict | None] = mapped_column(JSON)  # method, scope, venue, planned_on
    clearing: Mapped[dict | None] = mapped_column(JSON)  # held_on, attendance, presided_by
    cleared_on: Mapped[date | None] = mapped_column(Date)
    # Cleared no later than the deadline then at hand (the deadline moves on with the case).
    cleared_on_time: Mapped[bool | None] = mapped_column(Boolean)
    feedback: Mapped[dict | None] = mapped_column(JSON)  # to the person, the party organisation, its head, the org dept
    filed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(Text)  # 不予澄清

    unit: Mapped[Unit] = relationship(foreign_keys="ClearingCase.unit_id")
    batch: Mapped[ClearingBatch | None] = relationship()
    visits: Mapped[list[ClearingVisit]] = relationship(order_by="ClearingVisit.id", back_populates="case")

    @property
    def label(self) -> str:
        """How stored titles (inbox, shares, 交办件) name the case: its number, never the person."""
        return self.number


class ClearingVisit(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One of the four follow-up visits 一人四访 scheduled when a case is cleared."""

    __tablename__ = "clearing_visits"
    __table_args__ = (
        UniqueConstraint("case_id", "kind"),
        Index("ix_clearing_visits_due", "unit_id", "visited_on", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("clearing_cases.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    visited_on: Mapped[date | None] = mapped_column(Date)
    visitors: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    mental_state: Mapped[str] = mapped_column(Text, nullable=False, default="")
    work_performance: Mapped[str] = mapped_column(Text, nullable=False, default="")
    family_situation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    case: Mapped[ClearingCase] = relationship(back_populates="visits")
    recorded_by: Mapped[Account | None] = relationship()

    @property
    def kind_label(self) -> str:
        return str(VISIT_LABELS[VisitKind(self.kind)])

    @property
    def done(self) -> bool:
        return self.visited_on is not None
