"""Leads (问题线索): a unit's registry of leads on possible breaches of discipline, each from one source (a
petition converted to a lead, 上级交办, 巡察移交 …), naming one or more persons concerned, and disposed of in one
of the four ways (四种处置方式).

A lead never holds an informant: converting a petition copies the matter and the accused, and links the petition
(which keeps the informant, sealed, at its own unit). The persons concerned are sealed at rest like the accused
of petitions and clearing (core.crypto.Sealed); the list finds them by the keyed hash of the name only.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import dictionaries
from core.clearing.models import SealedPerson
from core.crypto import Sealed, seal_pending
from core.extensions import db
from core.handlers.models import Handled
from core.identity.models import Account
from core.leads.workflow import DECISION_LABELS, LEAD_FLOW, REPORT_FLOW, TRACK_LABELS
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned


class Source(StrEnum):
    PETITION = "petition"  # 信访举报转线索: the petition links both ways
    ASSIGNED = "assigned"  # 上级交办
    INSPECTION_TOUR = "inspection_tour"  # 巡察移交
    AUDIT = "audit"  # 审计移送
    OTHER_BODY = "other_body"  # 其他机关移送
    SUPERVISION = "supervision"  # 监督检查发现
    OTHER = "other"


# 数据字典 (core.dictionaries): offices relabel, add or deactivate sources (信访举报 comes by conversion only).
SOURCE_LABELS = dictionaries.declare("lead_sources", _l("问题线索来源"), {
    Source.PETITION: _l("信访举报"), Source.ASSIGNED: _l("上级交办"), Source.INSPECTION_TOUR: _l("巡察移交"),
    Source.AUDIT: _l("审计移送"), Source.OTHER_BODY: _l("其他机关移送"), Source.SUPERVISION: _l("监督检查发现"),
    Source.OTHER: _l("其他")}, area=_l("问题线索"))


class PersonLevel(StrEnum):
    VILLAGE = "village"  # 村（社区）干部
    STAFF = "staff"  # 一般干部
    TOWNSHIP = "township"  # 乡科级
    COUNTY = "county"  # 县处级
    CITY = "city"  # 厅局级


# 数据字典: relabelled or deactivated, never added to (a petition's level maps onto these; cases read them).
LEVEL_LABELS = dictionaries.declare("lead_person_levels", _l("问题线索反映对象级别"), {
    PersonLevel.VILLAGE: _l("村（社区）干部"), PersonLevel.STAFF: _l("一般干部"), PersonLevel.TOWNSHIP: _l("乡科级"),
    PersonLevel.COUNTY: _l("县处级"), PersonLevel.CITY: _l("厅局级")}, area=_l("问题线索"), can_add=False)


class Form(StrEnum):
    """The "four forms" (四种形态) a disposal counts as, where the seed counts it."""

    FIRST = "first"  # 批评教育、谈话提醒、诫勉
    SECOND = "second"  # 轻处分、组织调整
    THIRD = "third"  # 重处分、重大职务调整
    FOURTH = "fourth"  # 严重违纪涉嫌违法立案审查


FORM_LABELS = {Form.FIRST: _l("第一种形态"), Form.SECOND: _l("第二种形态"), Form.THIRD: _l("第三种形态"),
               Form.FOURTH: _l("第四种形态")}


class TalkKind(StrEnum):
    TALK = "talk"
    LETTER = "letter"


TALK_LABELS = {TalkKind.TALK: _l("谈话"), TalkKind.LETTER: _l("函询")}
# How the reply to a talk or letter was assessed (对说明情况的评估).
ASSESSMENT_LABELS = {"accepted": _l("如实说明，予以采信了结"), "reminded": _l("问题轻微，予以谈话提醒、批评教育"),
                     "verify": _l("说明不实或不清，转初步核实")}
RECOMMENDATION_LABELS = {"file": _l("建议立案"), "close": _l("建议予以了结")}


@seal_pending
class LeadPerson(SealedPerson, TenantOwned, db.Model):
    """One person a lead concerns (被反映人): name, position and work unit sealed; level and party membership plain
    (the figures count them)."""

    __tablename__ = "lead_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), nullable=False, index=True)
    position_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    level: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    party_member: Mapped[bool | None] = mapped_column(Boolean)
    name_key: Mapped[str] = mapped_column(String(64), nullable=False, default="", index=True)

    @property
    def level_label(self) -> str:
        return dictionaries.label(LEVEL_LABELS.name, self.level)


class Lead(Handled, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "leads"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"),
                      UniqueConstraint("petition_id", "unit_id"),
                      Index("ix_leads_queue", "unit_id", "state", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # who handed it over, their number
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"))  # the petition converted (own unit's)
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="registered")
    due_on: Mapped[date | None] = mapped_column(Date)  # disposal deadline; for a shelved lead its review date
    way: Mapped[str | None] = mapped_column(String(16))  # the disposal in force (a LEAD_FLOW transition of WAYS)
    form: Mapped[str | None] = mapped_column(String(16))  # 四种形态 of the disposal, where it counts as one
    disposed_on: Mapped[date | None] = mapped_column(Date)
    disposal: Mapped[dict | None] = mapped_column(JSON)  # the way's own fields (talk, reply, report, reason …)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # 一个漏斗: who handles it (workflow.TRACKS); 镇案镇办 until the county decides otherwise.
    track: Mapped[str] = mapped_column(String(16), nullable=False, default="township", server_default="township")
    # 县领办: the county's lead made of a township's (``origin_id`` on the county's, ``county_lead_id`` on the
    # township's). A lead with an origin is no new receipt: the figures count it once, at the township.
    origin_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    county_lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))

    persons: Mapped[list[LeadPerson]] = relationship(order_by=LeadPerson.position_order, lazy="selectin")
    registered_by: Mapped[Account | None] = relationship(foreign_keys=[registered_by_id])

    @property
    def state_label(self) -> str:
        return LEAD_FLOW.label(self.state)

    @property
    def source_label(self) -> str:
        return dictionaries.label(SOURCE_LABELS.name, self.source)

    @property
    def way_label(self) -> str:
        return LEAD_FLOW.step_label(self.way) if self.way else ""

    @property
    def form_label(self) -> str:
        return str(FORM_LABELS[Form(self.form)]) if self.form else ""

    @property
    def track_label(self) -> str:
        return str(TRACK_LABELS.get(self.track, ""))

    @property
    def label(self) -> str:
        """How the inbox and other pages name the lead: its number only, never a person's name."""
        return self.number


class LeadReportSetting(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A county's rule of the monthly report (月报备): the day of the next month by which each township reports
    the month's leads (default the 20th). Its townships read it (``__inherited__``); only the county writes it."""

    __tablename__ = "lead_report_settings"
    __table_args__ = (UniqueConstraint("unit_id"),)
    __inherited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    due_day: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


@seal_pending
class LeadReport(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """One township's monthly report of its leads to its county (月报备), frozen at submission: the counts (numbers
    only, plain) and the list of leads with their persons and summaries (sealed at rest like the persons). The
    county (``county_id``) is its other party: it reads the report, receives it or sends it back."""

    __tablename__ = "lead_reports"
    __table_args__ = (UniqueConstraint("unit_id", "period"), Index("ix_lead_reports_county", "county_id", "period"))
    __counterparty__ = "county_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    period: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="submitted")
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    first_submitted_on: Mapped[date] = mapped_column(Date, nullable=False)  # China date; late if after due_on
    submitted_late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    lead_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    snapshot_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    snapshot_text = Sealed("snapshot_sealed")  # JSON of the listed leads (number, persons, summary, state, way)

    submitted_by: Mapped[Account | None] = relationship(foreign_keys=[submitted_by_id])
    received_by: Mapped[Account | None] = relationship(foreign_keys=[received_by_id])

    @property
    def state_label(self) -> str:
        return REPORT_FLOW.label(self.state)

    @property
    def label(self) -> str:
        return str(_l("%(p)s 问题线索月报备", p=self.period))


class LeadTrackDecision(TenantOwned, TimestampMixin, db.Model):
    """One decision of the county's funnel (一个漏斗) on a lead: its track, who decided and why, when; pending the
    county leader's approval where it takes the lead from its township. A change of track is a new decision; the
    rows are the history. Owned by the county; the lead's unit (``lead_unit_id``) reads them too."""

    __tablename__ = "lead_track_decisions"
    __table_args__ = (Index("ix_lead_track_decisions_lead", "lead_id"),)
    __counterparty__ = "lead_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), nullable=False)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    lead_number: Mapped[str] = mapped_column(String(64), nullable=False)
    from_track: Mapped[str] = mapped_column(String(16), nullable=False)
    track: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    staff_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # 县镇合办: the named county staff
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approval_note: Mapped[str | None] = mapped_column(Text)
    effective_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    decided_by: Mapped[Account | None] = relationship(foreign_keys=[decided_by_id])
    approved_by: Mapped[Account | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def track_label(self) -> str:
        return str(TRACK_LABELS.get(self.track, ""))

    @property
    def from_track_label(self) -> str:
        return str(TRACK_LABELS.get(self.from_track, ""))

    @property
    def status_label(self) -> str:
        return str(DECISION_LABELS.get(self.status, ""))
