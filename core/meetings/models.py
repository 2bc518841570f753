"""On-site meetings of inspection tours (现场办公会): the county's records.

- ``meeting_categories``: the county's list of issue categories (defaults written at its first tour);
- ``inspection_tours``: a county's tour (巡察): name, team (组长, members' names, the county's accounts acting on
  it), period, the villages covered (their id, name, code and township: the county names its townships' villages
  without reading their records);
- ``onsite_meetings``: one on-site meeting of a tour in one of its villages: date, place, attending leaders and
  county departments (县直部门);
- ``meeting_issues``: every issue villagers raised: its category, summary, the villager's name sealed at rest (and
  never shown when the villager asked not to be named), answered on the spot (当场答复) or registered with a
  responsible body and a deadline, then done with evidence (a note and files through core.attachments).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import Sealed, seal_pending
from core.extensions import db
from core.meetings.workflow import BODY_KINDS, ISSUE_STATES, OUTCOMES
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned


class MeetingCategory(TenantOwned, TimestampMixin, db.Model):
    __tablename__ = "meeting_categories"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @property
    def label(self) -> str:
        return self.name


class InspectionTour(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "inspection_tours"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    leader_name: Mapped[str] = mapped_column(String(50), nullable=False)  # 组长
    members: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # names
    account_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # the county's accounts on it
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    villages: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{id, name, code, township_id, township}]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    meetings: Mapped[list["OnsiteMeeting"]] = relationship(order_by="OnsiteMeeting.held_on", lazy="selectin",
                                                           back_populates="tour")

    @property
    def label(self) -> str:
        return self.name


class OnsiteMeeting(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "onsite_meetings"
    __table_args__ = (Index("ix_onsite_meetings_tour", "tour_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("inspection_tours.id"), nullable=False)
    village_id: Mapped[int] = mapped_column(Integer, nullable=False)
    village_name: Mapped[str] = mapped_column(String(100), nullable=False)
    village_code: Mapped[str] = mapped_column(String(12), nullable=False)
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    township_name: Mapped[str] = mapped_column(String(100), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    leaders: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # attending leaders (names)
    departments: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # 县直部门 (names)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    tour: Mapped[InspectionTour] = relationship(back_populates="meetings", lazy="joined")

    @property
    def label(self) -> str:
        return f"{self.village_name}现场办公会（{self.held_on.isoformat()}）"


@seal_pending
class MeetingIssue(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "meeting_issues"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"), Index("ix_meeting_issues_queue", "unit_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("onsite_meetings.id"), nullable=False)
    tour_id: Mapped[int] = mapped_column(ForeignKey("inspection_tours.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    category_code: Mapped[str] = mapped_column(String(32), nullable=False)
    category_name: Mapped[str] = mapped_column(String(50), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    named: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # the villager agreed to be named
    sealed_villager_name: Mapped[str] = mapped_column("villager_name", Text, nullable=False, default="")
    villager_name = Sealed("sealed_villager_name")
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # answered / registered
    answer: Mapped[str | None] = mapped_column(Text)  # 当场答复 (or the policy explained when registered)
    body_kind: Mapped[str | None] = mapped_column(String(16))  # department / township
    body_name: Mapped[str | None] = mapped_column(String(100))
    body_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # answered / open / done
    raised_on: Mapped[date] = mapped_column(Date, nullable=False)  # the meeting's day
    done_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    meeting: Mapped[OnsiteMeeting] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return str(ISSUE_STATES.get(self.state, ""))

    @property
    def outcome_label(self) -> str:
        return str(OUTCOMES.get(self.outcome, ""))

    @property
    def body_kind_label(self) -> str:
        return str(BODY_KINDS.get(self.body_kind or "", ""))

    @property
    def villager_shown(self) -> str:
        """The villager as a page shows them: the name only where they asked to be named."""
        return self.villager_name if self.named else _("不愿具名")

    def overdue(self, today: date) -> bool:
        return self.state == "open" and self.deadline is not None and self.deadline < today

    @property
    def label(self) -> str:
        return f"{self.meeting.village_name}现场办公会 第{self.seq}项"
