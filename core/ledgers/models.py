"""The ledgers area's records.

- ``ledger_definitions``: the catalogue (台账目录) a province or city writes for every unit below it
  (``__inherited__``: units below read it, only the owner writes); a nearer unit's entry of a code replaces a
  farther one's; a unit with no catalogue above it uses the default 18 (core.ledgers.workflow);
- ``ledger_rows``: a township's rows of its kept ledgers (手工登记): the ledger's code, the day the row records,
  its typed values, who entered it and how (form or import);
- ``ledger_workbooks``: an export of the township's ledgers as one workbook (one sheet each) by a job, with its
  progress and the sealed file;
- ``ledger_spot_checks`` / ``ledger_spot_findings``: the county's spot checks (随时抽查) of a township's ledger, with
  the township as the other party (``__counterparty__``): the drawn rows are shared to the checker for the check's
  duration; findings per row (合格/不合格) and the conclusion.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, \
    UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.identity.models import Account
from core.jobs import HeartbeatMixin
from core.ledgers.workflow import CHECK_STATES, KINDS, PERIODS, RESULTS, VERDICTS
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned

WORKBOOK_STATES = {"queued": _l("排队中"), "running": _l("正在生成"), "done": _l("已完成"), "failed": _l("生成失败")}
WORKBOOK_RUNNING = ("queued", "running")


class LedgerDefinition(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "ledger_definitions"
    __inherited__ = True
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # generated / kept
    source: Mapped[str | None] = mapped_column(String(32))  # a generated ledger's exporter kind
    period: Mapped[str] = mapped_column(String(16), nullable=False, default="monthly")
    columns: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # kept: [{key, label, type, choices, required}]
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, ""))

    @property
    def period_label(self) -> str:
        return str(PERIODS.get(self.period, ""))

    @property
    def label(self) -> str:
        return self.title


class LedgerRow(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "ledger_rows"
    __table_args__ = (Index("ix_ledger_rows_ledger", "unit_id", "code", "entry_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    entry_date: Mapped[date] = mapped_column(Date, nullable=False)
    values: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    origin: Mapped[str] = mapped_column(String(8), nullable=False, default="form")  # form / import
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    created_by: Mapped[Account | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return f"{self.entry_date.isoformat()} 台账记录"


class LedgerWorkbook(TenantOwned, TimestampMixin, HeartbeatMixin, db.Model):
    __tablename__ = "ledger_workbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    codes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # the ledgers, one sheet each
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int | None] = mapped_column(Integer)
    failure: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def state_label(self) -> str:
        return str(WORKBOOK_STATES.get(self.state, ""))

    @property
    def running(self) -> bool:
        return self.state in WORKBOOK_RUNNING

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(99, 100 * self.processed_rows // self.total_rows) if self.total_rows else 0


class SpotCheck(TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "ledger_spot_checks"
    __counterparty__ = "township_id"
    __table_args__ = (Index("ix_ledger_spot_checks_township", "township_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    township_name: Mapped[str] = mapped_column(String(100), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    ledger_title: Mapped[str] = mapped_column(String(100), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)  # the rows are shared to the checker until then
    checker_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    random: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    row_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    share_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    result: Mapped[str | None] = mapped_column(String(16))  # qualified / unqualified
    conclusion: Mapped[str | None] = mapped_column(Text)
    concluded_on: Mapped[date | None] = mapped_column(Date)

    checker: Mapped[Account] = relationship(foreign_keys=[checker_id], lazy="joined")
    findings: Mapped[list["SpotFinding"]] = relationship(order_by="SpotFinding.seq", lazy="selectin",
                                                         back_populates="check")

    @property
    def state_label(self) -> str:
        return str(CHECK_STATES.get(self.state, ""))

    @property
    def result_label(self) -> str:
        return str(RESULTS.get(self.result or "", ""))

    def active_on(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on

    @property
    def label(self) -> str:
        return f"{self.township_name}{self.ledger_title}抽查"


class SpotFinding(TenantOwned, TimestampMixin, db.Model):
    __tablename__ = "ledger_spot_findings"
    __counterparty__ = "township_id"
    __table_args__ = (UniqueConstraint("check_id", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("ledger_spot_checks.id"), nullable=False, index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    row_id: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)  # the drawn row's place in the check
    verdict: Mapped[str] = mapped_column(String(8), nullable=False)  # pass / fail
    problem: Mapped[str | None] = mapped_column(Text)
    supervision_item_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_items.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    check: Mapped[SpotCheck] = relationship(back_populates="findings")

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS.get(self.verdict, ""))
