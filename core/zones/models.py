"""Collaboration zones (协作区): a county groups its townships (and, in zones of their own, its stationed
groups) so that they meet jointly and handle and inspect each other's cases under its authority.

Who owns what (and so who sees it, through the auto-filter and row-level security):

- a zone is the county's; its member rows are the member's own, with the county as counterparty, so a
  member reads its zone and its fellow members (``__received_via__`` over ``zone_members``) and nothing
  of another zone;
- a convener's term, a joint meeting and its decisions belong to the convening member, the county
  reading and writing them as counterparty, fellow members reading them;
- a cross-handling grant is the county's, the grantee township its counterparty; the record itself stays
  its owner's, seen by the grantee's named accounts only through the shares the grant made;
- an inspection pairing and its findings belong to the inspecting member, the county as counterparty.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned, Unit


class ZoneKind(StrEnum):
    TOWNSHIP = "township"  # 乡镇协作区
    STATIONED = "stationed"  # 派驻组协作区


ZONE_KIND_LABELS = {ZoneKind.TOWNSHIP: _l("乡镇协作区"), ZoneKind.STATIONED: _l("派驻组协作区")}
# Which member level each kind of zone takes.
KIND_MEMBER_LEVEL = {ZoneKind.TOWNSHIP: "township", ZoneKind.STATIONED: "stationed"}


class GrantScope(StrEnum):
    INSPECT = "inspect"  # 交叉检查: read the record
    HANDLE = "handle"  # 交叉办案: read it and take the named transitions


GRANT_SCOPE_LABELS = {GrantScope.INSPECT: _l("交叉检查（查阅）"), GrantScope.HANDLE: _l("交叉办案（查阅并办理）")}
# The share purposes a grant makes, one per scope (tenants.models.Share.purpose).
SHARE_PURPOSE = {GrantScope.INSPECT: "cross_inspect", GrantScope.HANDLE: "cross_handle"}


class Zone(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "zones"
    __received_via__ = ("zone_members", "zone_id", "id")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=ZoneKind.TOWNSHIP)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    lead_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # 牵头县领导
    guiding_office: Mapped[str] = mapped_column(String(100), nullable=False, default="")  # 指导室
    term_months: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lead: Mapped[Account | None] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys="Zone.unit_id")

    @property
    def kind_label(self) -> str:
        return str(ZONE_KIND_LABELS[ZoneKind(self.kind)])


class ZoneMember(TenantOwned, TimestampMixin, db.Model):
    """One stay of a unit in a zone: ``left_on`` is set when it leaves, so history shows who was where when."""

    __tablename__ = "zone_members"
    __counterparty__ = "county_id"
    __received_via__ = ("zone_members", "zone_id", "zone_id")
    __table_args__ = (
        # A unit is in at most one zone of each kind at a time.
        Index("uq_zone_members_current", "unit_id", "kind", unique=True,
              sqlite_where=text("left_on IS NULL"), postgresql_where=text("left_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), nullable=False, index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_on: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # order in the convener rota

    unit: Mapped[Unit] = relationship(foreign_keys="ZoneMember.unit_id")
    zone: Mapped[Zone] = relationship()


class ConvenerTerm(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A member's term as convener (召集人): its secretary convenes, and reports in writing at the end."""

    __tablename__ = "convener_terms"
    __counterparty__ = "county_id"
    __received_via__ = ("zone_members", "zone_id", "zone_id")
    __table_args__ = (Index("ix_convener_terms_zone_current", "zone_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), nullable=False, index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # the member's secretary
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)  # last day of the term
    # How the term came about: the rota's turn, or the county's override (with its reason).
    assigned_by: Mapped[str] = mapped_column(String(16), nullable=False, default="rota")
    override_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)  # set when the term ended (its turn over or replaced)
    report_requested_on: Mapped[date | None] = mapped_column(Date)
    report_body: Mapped[str | None] = mapped_column(Text)
    report_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    unit: Mapped[Unit] = relationship(foreign_keys="ConvenerTerm.unit_id")
    account: Mapped[Account | None] = relationship(foreign_keys=[account_id])
    zone: Mapped[Zone] = relationship()


class JointMeeting(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A joint meeting (联席会议) the convener called: agenda and attendees first, minutes once held."""

    __tablename__ = "joint_meetings"
    __counterparty__ = "county_id"
    __received_via__ = ("zone_members", "zone_id", "zone_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), nullable=False, index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("convener_terms.id"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    agenda: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # [{"unit_id": …, "account_id": …|None, "name": "…", "role": "secretary"|"stationed_head"|"county"|…}]
    attendees: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    minutes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")  # scheduled | held
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    unit: Mapped[Unit] = relationship(foreign_keys="JointMeeting.unit_id")
    zone: Mapped[Zone] = relationship()
    decisions: Mapped[list[MeetingDecision]] = relationship(order_by="MeetingDecision.seq",
                                                            back_populates="meeting")


class MeetingDecision(TenantOwned, TimestampMixin, db.Model):
    """A decision of a joint meeting; the county may turn it into tasks (supervision items of kind task)."""

    __tablename__ = "meeting_decisions"
    __counterparty__ = "county_id"
    __received_via__ = ("zone_members", "zone_id", "zone_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id"), nullable=False, index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), nullable=False)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    # The member units it names and the tasks issued for them: [{"unit_id": …, "item_id": …|None}].
    task_units: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    due_on: Mapped[date | None] = mapped_column(Date)

    meeting: Mapped[JointMeeting] = relationship(back_populates="decisions")


class CrossGrant(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """The county's authorisation (交叉办案/交叉检查) for named accounts of one member to inspect or handle one
    record of another member of the same zone, from a start day to an end day. Access runs through the
    shares it makes (one per grantee account); revoking or reaching the end ends them at once."""

    __tablename__ = "cross_grants"
    __counterparty__ = "grantee_unit_id"
    __table_args__ = (Index("ix_cross_grants_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), nullable=False, index=True)
    grantee_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)  # petitions | clearing_cases
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    object_label: Mapped[str] = mapped_column(String(200), nullable=False)  # number and accused, never informant
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    transitions: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)  # last day of access
    grantee_account_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    share_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # made when the grant starts
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_rounds.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    grantee_unit: Mapped[Unit] = relationship(foreign_keys=[grantee_unit_id])
    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id])
    zone: Mapped[Zone] = relationship()

    @property
    def scope_label(self) -> str:
        return str(GRANT_SCOPE_LABELS[GrantScope(self.scope)])

    def state_on(self, day: date) -> str:
        """pending | active | ended | revoked"""
        if self.revoked_at is not None:
            return "revoked"
        if day < self.starts_on:
            return "pending"
        return "active" if day <= self.ends_on else "ended"


GRANT_STATE_LABELS = {"pending": _l("未开始"), "active": _l("有效"), "ended": _l("已到期"), "revoked": _l("已撤销")}


class InspectionRound(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A zone-wide cross-inspection of clearing (交叉检查): each member inspects another member's open
    clearing cases against the checklist; findings go to the county; problems become rectification orders."""

    __tablename__ = "inspection_rounds"
    __received_via__ = ("zone_members", "zone_id", "zone_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    checklist: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | closed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    zone: Mapped[Zone] = relationship()
    pairs: Mapped[list[InspectionPair]] = relationship(order_by="InspectionPair.id", back_populates="round")


class InspectionPair(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One member (the owner) inspecting another in a round."""

    __tablename__ = "inspection_pairs"
    __counterparty__ = "county_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_rounds.id"), nullable=False, index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    inspected_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="assigned")  # assigned | filed
    summary: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    unit: Mapped[Unit] = relationship(foreign_keys="InspectionPair.unit_id")
    inspected_unit: Mapped[Unit] = relationship(foreign_keys=[inspected_unit_id])
    round: Mapped[InspectionRound] = relationship(back_populates="pairs")
    findings: Mapped[list[InspectionFinding]] = relationship(order_by="InspectionFinding.id",
                                                             back_populates="pair")


class InspectionFinding(TenantOwned, TimestampMixin, db.Model):
    """What the inspector found on one case: the checklist answered, and the problem if any."""

    __tablename__ = "inspection_findings"
    __counterparty__ = "county_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("inspection_pairs.id"), nullable=False, index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    clearing_case_id: Mapped[int | None] = mapped_column(Integer)
    case_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    answers: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # {checklist item: true|false}
    problem: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rectification_item_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_items.id"))

    pair: Mapped[InspectionPair] = relationship(back_populates="findings")

    @property
    def has_problem(self) -> bool:
        return bool(self.problem.strip()) or not all(self.answers.values())


# The seed's weekly cross-checks of clearing progress (交叉检查): what each inspector answers per case.
DEFAULT_CHECKLIST = [
    "是否核查全面",
    "是否结论清楚",
    "是否处置到位",
    "是否按期推进",
    "回访是否落实",
]
