"""Petitions (信访举报件): registration, with the informant's identity encrypted at rest;
handling (verification, outcome, feedback); routing down the tree (转办/交办); repeat links.

An unfounded outcome puts the accused person in the unit's clearing pool. The accused person's
fields are sealed at rest like the informant's (core.crypto.Sealed); search and repeat detection
compare keyed hashes (HMAC-SM3), never plaintext. A match on the informant alone links only
petitions of one unit: across units a link rests on the accused and the matter, and never says
whether the informant matched (issue 16).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import dictionaries
from core.crypto import Sealed, seal_pending
from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from core.handlers.models import Handled
from tenants.models import TenantOwned


class Channel(StrEnum):
    LETTER = "letter"
    VISIT = "visit"
    PHONE = "phone"
    WEB = "web"


# 数据字典 (core.dictionaries): the labels read through the one accessor; offices relabel, add or deactivate.
CHANNEL_LABELS = dictionaries.declare("petition_channels", _l("信访举报受理方式"), {
    Channel.LETTER: _l("来信"), Channel.VISIT: _l("来访"), Channel.PHONE: _l("来电"), Channel.WEB: _l("网络举报")},
    area=_l("信访举报"))


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


class AccusedLevel(StrEnum):
    """The accused person's rank, which decides the competent (管辖) level of commission."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"


# 数据字典: the levels decide the competent commission (COMPETENT_LEVEL): relabelled or deactivated, never added to.
ACCUSED_LEVEL_LABELS = dictionaries.declare("accused_levels", _l("被反映人级别"), {
    AccusedLevel.VILLAGE: _l("村（社区）干部"), AccusedLevel.TOWNSHIP: _l("乡科级"), AccusedLevel.COUNTY: _l("县处级"),
    AccusedLevel.CITY: _l("厅局级"), AccusedLevel.PROVINCE: _l("省部级")}, area=_l("信访举报"), can_add=False)

class WorkArea(StrEnum):
    """Where the accused works, when it is work the clearing of names puts first (the seed: 优先澄清 those in
    基层一线, 改革发展, 乡村振兴, 征地拆迁 work); an unfounded petition hands these to the clearing pool."""

    FRONTLINE = "frontline"
    REFORM = "reform"
    RURAL = "rural"
    LAND = "land"


WORK_AREA_LABELS = {WorkArea.FRONTLINE: _l("基层一线"), WorkArea.REFORM: _l("改革发展"),
                    WorkArea.RURAL: _l("乡村振兴"), WorkArea.LAND: _l("征地拆迁")}
# The unit level competent for each rank: a village cadre is the township's matter, a 乡科级 cadre
# the county's, and so on. Filing above it is 越级.
COMPETENT_LEVEL = {AccusedLevel.VILLAGE: "township", AccusedLevel.TOWNSHIP: "county", AccusedLevel.COUNTY: "city",
                   AccusedLevel.CITY: "province", AccusedLevel.PROVINCE: "province"}


class Flag(StrEnum):
    """重复访/越级访 and the 三多, computed from a petition's confirmed links."""

    REPEAT = "repeat"
    SKIP_LEVEL = "skip_level"
    MULTI_YEAR = "multi_year"
    MULTI_LEVEL = "multi_level"
    MULTI_SOURCE = "multi_source"


FLAG_LABELS = {Flag.REPEAT: _l("重复"), Flag.SKIP_LEVEL: _l("越级"), Flag.MULTI_YEAR: _l("多年"),
               Flag.MULTI_LEVEL: _l("多层"), Flag.MULTI_SOURCE: _l("多头")}
SANDUO = (Flag.MULTI_YEAR, Flag.MULTI_LEVEL, Flag.MULTI_SOURCE)


class RoutingMode(StrEnum):
    TRANSFER = "transfer"  # 转办: the receiver handles it on its own authority
    ASSIGN = "assign"  # 交办: the receiver handles it and reports the result back


ROUTING_LABELS = {RoutingMode.TRANSFER: _l("转办"), RoutingMode.ASSIGN: _l("交办")}

# The informant's fields, each encrypted with SM4-GCM bound to the petition (core.crypto).
INFORMANT_FIELDS = {"name": _l("姓名"), "id_number": _l("身份证号"), "phone": _l("联系电话"),
                    "address": _l("地址")}


# 数据字典 (core.dictionaries): the problem categories offered by default — suggested on the registration form of a
# unit with no taxonomy in force and on the categories page; a petition carries the category's name as written.
PROBLEM_CATEGORY_DEFAULTS = dictionaries.declare("problem_categories", _l("问题类别（默认）"), {
    "political": _l("违反政治纪律"), "organizational": _l("违反组织纪律"), "integrity": _l("违反廉洁纪律"),
    "mass": _l("违反群众纪律"), "work": _l("违反工作纪律"), "life": _l("违反生活纪律"),
    "crime": _l("涉嫌违法犯罪"), "other": _l("其他")}, area=_l("信访举报"),
    note=_l("单位尚未设定问题类别时，登记页提示这些类别；设定问题类别时作为备选名称。信访件按名称记录问题类别。"))


class PetitionCategory(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A problem category (问题类别), defined at the province (or a city) and inherited by every unit below."""

    __tablename__ = "petition_categories"
    __inherited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


@seal_pending
class Petition(Handled, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "petitions"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"),
                      Index("ix_petitions_queue", "unit_id", "state", "due_on"),
                      Index("ix_petitions_source_ref", "unit_id", "source_ref"),
                      Index("ix_petitions_accused_name_key", "unit_id", "accused_name_key"))

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
    # The accused person, sealed (SM4-GCM bound to table, unit and id); the attributes below read plain text.
    sealed_accused_name: Mapped[str] = mapped_column("accused_name", Text, nullable=False, default="")
    sealed_accused_position: Mapped[str] = mapped_column("accused_position", Text, nullable=False, default="")
    sealed_accused_work_unit: Mapped[str] = mapped_column("accused_work_unit", Text, nullable=False, default="")
    accused_name = Sealed("sealed_accused_name")
    accused_position = Sealed("sealed_accused_position")
    accused_work_unit = Sealed("sealed_accused_work_unit")
    accused_level: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    accused_party_member: Mapped[bool | None] = mapped_column(Boolean)
    accused_work_areas: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # WorkArea values
    # Matching keys, HMAC-SM3 keyed with MATCHING_KEY (core.crypto.match_key): the accused by name and work unit
    # (repeat matching across the tree), by name alone (exact search), the informant by id number and by phone.
    accused_key: Mapped[str] = mapped_column(String(200), nullable=False, default="", index=True)
    accused_name_key: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    informant_id_key: Mapped[str | None] = mapped_column(String(64), index=True)
    informant_phone_key: Mapped[str | None] = mapped_column(String(64), index=True)
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
    source_ref: Mapped[str | None] = mapped_column(String(64))  # the number in an imported ledger (大起底)
    flags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # Flag values
    # Routing: the higher unit's petition this one was routed from, and on that one where it went.
    origin_petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), index=True)
    routing: Mapped[dict | None] = mapped_column(JSON)  # mode, to_unit_id, to_unit_name, petition_id, item_id, on
    again_of_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"))  # 再次信访 after closure

    registered_by: Mapped[Account | None] = relationship(foreign_keys=[registered_by_id])

    @property
    def channel_label(self) -> str:
        return dictionaries.label(CHANNEL_LABELS.name, self.channel)

    @property
    def state_label(self) -> str:
        from core.petitions.workflow import PETITION_FLOW

        return PETITION_FLOW.label(self.state)

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[Outcome(self.outcome)]) if self.outcome else ""

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[Flag(f)]) for f in self.flags or []]

    @property
    def accused_level_label(self) -> str:
        return dictionaries.label(ACCUSED_LEVEL_LABELS.name, self.accused_level)

    @property
    def informant_moved(self) -> bool:
        """Routed down: the informant went with the petition to the unit that handles it (operations.route_petition)."""
        return bool(self.routing) and not self.anonymous and self.informant_name is None

    @property
    def label(self) -> str:
        """How stored titles and other units' pages name the petition (inbox, 交办件, shares, ledgers of
        campaigns): its number only, never a person's name."""
        return self.number


class ReplyTemplate(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    """A unit's standard text for the feedback to informants (反馈): kept by its leader, picked and edited by the
    officer on the petition's feedback form. Archived, never deleted."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class PetitionLink(TenantOwned, TimestampMixin, db.Model):
    """One side of a proposed or confirmed "same matter" link, owned by the unit of ``petition_id``.

    The other petition may belong to any unit of the tree; this row keeps only the facts the
    flags need (its unit's level, received date, channel, whether the informant matched), so a
    unit sees that its petition has links and which flags apply, never the other record.
    """

    __tablename__ = "petition_links"
    __table_args__ = (UniqueConstraint("petition_id", "other_petition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), nullable=False, index=True)
    other_petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), nullable=False)
    other_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    other_unit_name: Mapped[str] = mapped_column(String(100), nullable=False)
    other_unit_level: Mapped[str] = mapped_column(String(16), nullable=False)
    other_received_on: Mapped[date] = mapped_column(Date, nullable=False)
    other_channel: Mapped[str] = mapped_column(String(16), nullable=False)
    # Why it was proposed: same accused, same informant (by keyed hash), similar content (0–100).
    same_accused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    same_informant: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    similarity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")  # confirmed | rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.same_accused:
            out.append(str(_l("同一被反映人")))
        if self.same_informant:
            out.append(str(_l("同一举报人")))
        if self.similarity:
            out.append(str(_l("内容相似度 %(n)s%%", n=self.similarity)))
        return out
