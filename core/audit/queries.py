"""Reading the audit trail: filtered listing and spreadsheet export."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice

from sqlalchemy import func, or_, select

from core import timefmt
from core.audit.models import AuditEvent
from core.schemas import bounded_int
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
    actions: tuple[str, ...] = ()  # one of these exactly (the login log: the login attempts)
    address: str = ""  # the client address starts so
    prefixes: tuple[str, ...] = ()  # the action starts with one of these (the operation log's module)

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        def parse_date(value):
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                return None

        unit = args.get("unit_id", type=bounded_int)  # "²" is a digit to str.isdigit, not to int()
        return cls(parse_date(args.get("date_from")), parse_date(args.get("date_to")),
                   args.get("account", "").strip(), unit,
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
        if self.actions:
            stmt = stmt.where(AuditEvent.action.in_(self.actions))
        if self.address:
            stmt = stmt.where(AuditEvent.address.startswith(self.address, autoescape=True))
        if self.prefixes:
            stmt = stmt.where(or_(*[AuditEvent.action.startswith(p, autoescape=True) for p in self.prefixes]))
        return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def page(flt: AuditFilter, number: int, size: int = 50) -> tuple[list[AuditEvent], bool]:
    rows = list(db.session.scalars(flt.statement().offset((number - 1) * size).limit(size + 1)))
    return rows[:size], len(rows) > size


EXPORT_BATCH = 2000


def export_xlsx(flt: AuditFilter, describer: Callable[[list[AuditEvent]], object], limit: int = 200_000) -> bytes:
    """The filtered trail as the viewer reads it, plus each event's chain, sequence and hash to check it against.

    ``describer(events)`` (tenancy's audit_labels.Describer: the kernel knows no unit names nor action words)
    answers ``unit(id)``, ``module(code)``, ``action(code)``, ``object(event)``, ``outcome(code)`` and ``detail(event)`` for a
    batch; the stored detail (record numbers, JSON) never reaches the file."""
    workbook = text_workbook()
    sheet = workbook.create_sheet("审计日志")
    sheet.append(["时间", "账户", "单位", "模块", "操作", "对象", "结果", "地址", "详情", "链", "序号", "哈希"])
    events = iter(db.session.scalars(flt.statement().limit(limit).execution_options(yield_per=EXPORT_BATCH)))
    while batch := list(islice(events, EXPORT_BATCH)):
        describe = describer(batch)
        for event in batch:
            sheet.append([timefmt.local_time(event.occurred_at, "%Y-%m-%d %H:%M:%S"), event.account_name,
                          describe.unit(event.unit_id), describe.module(event.action), describe.action(event.action),
                          describe.object(event),
                          describe.outcome(event.outcome), event.address, describe.detail(event), event.chain,
                          event.seq, event.hash])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# 登录日志: every login attempt, from the trail (the password step and the second factor).
LOGIN_ACTIONS = ("login", "login.second_factor", "account.lock")


def login_filter(args) -> AuditFilter:
    flt = AuditFilter.from_args(args)
    flt.action, flt.actions = "", LOGIN_ACTIONS
    flt.address = (args.get("address") or "").strip()[:64]
    return flt
