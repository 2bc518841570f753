"""Petitions (信访举报件): registration, with the informant's identity encrypted at rest.

Handling (verification, outcome, feedback to the informant) is here; an unfounded outcome
puts the accused person in the unit's clearing pool. Routing and repeat detection come next.
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned


class Channel(StrEnum):
    LETTER = "letter"
    VISIT = "visit"
    PHONE = "phone"
    WEB = "web"


CHANNEL_LABELS = {Channel.LETTER: _l("来信"), Channel.VISIT: _l("来访"), Channel.PHONE: _l("来电"),
                  Channel.WEB: _l("网络举报")}


class Outcome(StrEnum):
    """What verification 核查 found."""

    FOUNDED = "founded"
    PARTLY = "partly"
    UNFOUNDED = "unfounded"
    UNVERIFIABLE = "unverifiable"


OUTCOME_LABELS = {Outcome.FOUNDED: _l("属实"), Outcome.PARTLY: _l("部分属实"), Outcome.UNFOUNDED: _l("不属实"),
                  Outcome.UNVERIFIABLE: _l("无法查实")}
FEEDBACK_WAYS = {"in_person": _l("当面反馈"), "phone": _l("电话反馈"), "letter": _l("书面反馈"),
                 "online": _l("网上反馈"), "none": _l("匿名举报，无从反馈")}
# The informant's fields, each encrypted with SM4-GCM bound to the petition (core.crypto).
INFORMANT_FIELDS = {"name": _l("姓名"), "id_number": _l("身份证号"), "phone": _l("联系电话"),
                    "address": _l("地址")}


class Petition(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "petitions"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    informant_name: Mapped[str | None] = mapped_column(Text)
    informant_id_number: Mapped[str | None] = mapped_column(Text)
    informant_phone: Mapped[str | None] = mapped_column(Text)
    informant_address: Mapped[str | None] = mapped_column(Text)
    accused_name: Mapped[str] = mapped_column(String(50), nullable=False)
    accused_position: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    accused_work_unit: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    category: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="registered")
    due_on: Mapped[date | None] = mapped_column(Date)  # handling deadline, in working days from receipt
    findings: Mapped[str | None] = mapped_column(Text)  # 核查情况
    outcome: Mapped[str | None] = mapped_column(String(16))
    concluded_on: Mapped[date | None] = mapped_column(Date)
    feedback: Mapped[dict | None] = mapped_column(JSON)  # to the informant: date, way, content, satisfied
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    registered_by: Mapped[Account | None] = relationship()

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS[Channel(self.channel)])

    @property
    def state_label(self) -> str:
        from core.petitions.workflow import PETITION_FLOW

        return PETITION_FLOW.label(self.state)

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[Outcome(self.outcome)]) if self.outcome else ""

    @property
    def label(self) -> str:
        """How other units' pages name the petition: number and accused, never the informant."""
        return f"{self.number} {self.accused_name}"
