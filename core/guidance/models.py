"""联系指导: a county's 纪检监察室 (its offices) each guiding some of its townships. Every row is the county's own:

- ``guidance_offices``: an office, a named group of the county's staff (纪检监察室);
- ``guidance_office_members``: one stay of a county account in an office (``left_on`` set when it leaves: history);
- ``guidance_assignments``: one stretch of an office guiding a township (``ends_on`` set when another office takes it
  over or the guidance ends; a township is guided by one office at a time);
- ``guidance_meetings``: a regular meeting (定期例会) an office held with townships it guides: date, attendees (names),
  the townships (ids and names copied), notes and decisions;
- ``guidance_visits``: a guidance visit (督查指导) to one township: date, the office's staff on it, what was checked,
  notes; ``guidance_problems``: the problems found, each turned (by the county's leader) into a rectification order
  (a supervision item from the county to the township).

The townships' own records stay theirs: an office reads their figures (numbers only), never a record.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned, Unit


class GuidanceOffice(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "guidance_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # 第一纪检监察室
    duties: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 联系指导的分工说明
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def label(self) -> str:
        return self.name


class OfficeMember(TenantOwned, TimestampMixin, db.Model):
    """One stay of a county account in an office."""

    __tablename__ = "guidance_office_members"
    __table_args__ = (
        Index("uq_guidance_office_members_current", "office_id", "account_id", unique=True,
              sqlite_where=text("left_on IS NULL"), postgresql_where=text("left_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("guidance_offices.id"), nullable=False, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_on: Mapped[date | None] = mapped_column(Date)

    account: Mapped[Account] = relationship(lazy="joined")


class GuidanceAssignment(TenantOwned, TimestampMixin, db.Model):
    """One stretch of an office guiding a township: ``ends_on`` (the last day) set when it ends."""

    __tablename__ = "guidance_assignments"
    __table_args__ = (
        # A township is guided by one office at a time.
        Index("uq_guidance_assignments_current", "township_id", unique=True,
              sqlite_where=text("ends_on IS NULL"), postgresql_where=text("ends_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("guidance_offices.id"), nullable=False, index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    township: Mapped[Unit] = relationship(foreign_keys=[township_id], lazy="joined")
    office: Mapped[GuidanceOffice] = relationship(lazy="joined")


class GuidanceMeeting(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A regular meeting (定期例会) of an office with townships it guides."""

    __tablename__ = "guidance_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("guidance_offices.id"), nullable=False, index=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    attendees: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # names
    townships: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{"id": …, "name": …}]
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decisions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # texts
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    office: Mapped[GuidanceOffice] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return f"{self.office.name}定期例会（{self.held_on.isoformat()}）"

    @property
    def township_names(self) -> str:
        return "、".join(t.get("name", "") for t in self.townships)


class GuidanceVisit(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A guidance visit (督查指导) of an office to one township it guides."""

    __tablename__ = "guidance_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("guidance_offices.id"), nullable=False, index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    township_name: Mapped[str] = mapped_column(String(100), nullable=False)
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    staff: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{"id": account id, "name": …}]
    checked: Mapped[str] = mapped_column(Text, nullable=False)  # 督查指导的内容
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    office: Mapped[GuidanceOffice] = relationship(lazy="joined")
    problems: Mapped[list["GuidanceProblem"]] = relationship(order_by="GuidanceProblem.seq", lazy="selectin",
                                                             back_populates="visit")

    @property
    def label(self) -> str:
        return f"{self.township_name}督查指导（{self.visited_on.isoformat()}）"

    @property
    def staff_names(self) -> str:
        return "、".join(s.get("name", "") for s in self.staff)


class GuidanceProblem(TenantOwned, TimestampMixin, db.Model):
    """A problem found on a visit; ``item_id``: the rectification order it became (督改单)."""

    __tablename__ = "guidance_problems"
    __table_args__ = (Index("uq_guidance_problems_seq", "visit_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("guidance_visits.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    requirement: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 整改要求
    item_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_items.id"))
    raised_on: Mapped[date | None] = mapped_column(Date)

    visit: Mapped[GuidanceVisit] = relationship(back_populates="problems")
