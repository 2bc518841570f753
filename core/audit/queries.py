"""Reading the audit trail: filtered listing and spreadsheet export."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from core import timefmt
from core.audit.models import AuditEvent
from core.documents import text_workbook
from core.extensions import db


@dataclass
class AuditFilter:
    date_from: date | None = None
    date_to: date | None = None
    account: str = ""
    unit_id: int | None = None
    action: str = ""
    outcome: str = ""
    unit_ids: tuple[int, ...] = ()  # a unit chosen by code or name (the viewer resolves it; a name may be several)

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        def parse_date(value):
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                return None

        unit = args.get("unit_id", "")
        return cls(parse_date(args.get("date_from")), parse_date(args.get("date_to")),
                   args.get("account", "").strip(), int(unit) if unit.isdigit() else None,
                   args.get("action", "").strip(), args.get("outcome", "").strip())

    def statement(self):
        stmt = select(AuditEvent)
        if self.date_from:
            stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(self.date_from, time.min, timefmt.zone()))
        if self.date_to:
            stmt = stmt.where(AuditEvent.occurred_at < datetime.combine(self.date_to + timedelta(days=1), time.min,
                                                                        timefmt.zone()))
        if self.account:
            stmt = stmt.where(func.lower(AuditEvent.account_name) == self.account.lower())
        if self.unit_id:
            stmt = stmt.where(AuditEvent.unit_id == self.unit_id)
        if self.unit_ids:
            stmt = stmt.where(AuditEvent.unit_id.in_(self.unit_ids))
        if self.action:
            stmt = stmt.where(AuditEvent.action.startswith(self.action))
        if self.outcome:
            stmt = stmt.where(AuditEvent.outcome == self.outcome)
        return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def page(flt: AuditFilter, number: int, size: int = 50) -> tuple[list[AuditEvent], bool]:
    rows = list(db.session.scalars(flt.statement().offset((number - 1) * size).limit(size + 1)))
    return rows[:size], len(rows) > size


def export_xlsx(flt: AuditFilter, limit: int = 200_000) -> bytes:
    workbook = text_workbook()
    sheet = workbook.create_sheet("审计日志")
    sheet.append(["时间", "账户", "单位ID", "操作", "对象类型", "对象ID", "结果", "地址", "详情", "链", "序号", "哈希"])
    for event in db.session.scalars(flt.statement().limit(limit).execution_options(yield_per=2000)):
        sheet.append([timefmt.local_time(event.occurred_at, "%Y-%m-%d %H:%M:%S"), event.account_name,
                      event.unit_id, event.action, event.object_type, event.object_id, event.outcome,
                      event.address, event.detail, event.chain, event.seq, event.hash])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
