"""Reads of the reception room for the pages, the API, the workbench and the ledger: the loader (the unit's own
receptions only: 404 for a sibling, the units above and anyone reading no receptions), the month's rota by working
day (covered and uncovered days), today's receptionist, the staff who take turns, the list's filter and the
接访登记台账 (never the person received: a ledger leaves the platform)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar
from core.extensions import db
from core.identity.models import Account
from core.reception.models import Reception, ReceptionDuty, ReceptionRota, ReceptionSwap
from core.reception.workflow import KINDS, ROTA_ROLES, WEEKDAYS
from tenants.access import Action, can
from tenants.models import Membership, Unit
from tenants.scoping import load_scoped
from tenants.workbench import Row

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WORKBENCH_DAYS = 5  # today and the next working days on the workbench


# ---------------------------------------------------------------- loader (404 outside scope)


def load_reception(reception_id, action: Action, unit: Unit, account) -> Reception:
    """A reception of the acting unit (never through a share: the person received stays with the unit)."""
    return load_scoped(Reception, reception_id, unit=unit, account=account, action=action, own=True)


def reception_of_petition(petition) -> Reception | None:
    """The reception a petition was registered from (its unit's own), if any."""
    return db.session.scalar(select(Reception).where(Reception.petition_id == petition.id,
                                                     Reception.unit_id == petition.unit_id).limit(1))


# ---------------------------------------------------------------- months and the rota


def parse_month(text) -> str | None:
    """``YYYY-MM`` within the platform's years, else None."""
    match = MONTH.match(str(text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 2000 or year > calendar.today().year + 5:
        return None
    return f"{year:04d}-{month:02d}"


def this_month(today: date | None = None) -> str:
    return (today or calendar.today()).strftime("%Y-%m")


def month_days(month: str) -> list[date]:
    year, m = int(month[:4]), int(month[5:7])
    first = date(year, m, 1)
    following = date(year + m // 12, m % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def working_days(month: str) -> list[date]:
    """The month's working days by the calendar: holidays skipped, a 调休 working Saturday or Sunday included."""
    return [d for d in month_days(month) if calendar.is_workday(d)]


def shift_month(month: str, delta: int) -> str:
    year, m = int(month[:4]), int(month[5:7]) - 1 + delta
    return f"{year + m // 12:04d}-{m % 12 + 1:02d}"


def rota_of(unit: Unit, month: str) -> ReceptionRota | None:
    return db.session.scalar(select(ReceptionRota).where(ReceptionRota.unit_id == unit.id,
                                                         ReceptionRota.month == month))


def duties_of(unit: Unit, first: date, last: date, *, empty: bool = False) -> dict[date, ReceptionDuty]:
    """The days from ``first`` to ``last`` with somebody on duty (``empty``: also the rows of days unassigned since)."""
    stmt = select(ReceptionDuty).where(ReceptionDuty.unit_id == unit.id, ReceptionDuty.day >= first,
                                       ReceptionDuty.day <= last)
    if not empty:
        stmt = stmt.where(ReceptionDuty.account_id.is_not(None))
    return {d.day: d for d in db.session.scalars(stmt)}


def coverage(unit: Unit, month: str) -> dict[date, bool]:
    """Each working day of a month the unit set a rota for: covered (a receptionist on duty) or not; {} when the
    month has no rota (the figures count rota months only: a unit without a reception room has no gaps)."""
    if rota_of(unit, month) is None:
        return {}
    days = month_days(month)
    duties = duties_of(unit, days[0], days[-1])
    return {d: d in duties for d in days if calendar.is_workday(d)}


@dataclass(frozen=True)
class RotaDay:
    day: date
    workday: bool
    makeup: bool  # 调休: a weekend day that is a working day
    holiday: bool  # a weekday that is a holiday
    duty: ReceptionDuty | None

    @property
    def weekday(self) -> str:
        return str(WEEKDAYS[self.day.weekday()])

    @property
    def uncovered(self) -> bool:
        return self.workday and self.duty is None


def rota_view(unit: Unit, month: str) -> dict:
    """The month as the rota page shows it: every day with its kind and receptionist, the counts."""
    days = month_days(month)
    duties = duties_of(unit, days[0], days[-1])
    rows = []
    for d in days:
        workday = calendar.is_workday(d)
        rows.append(RotaDay(d, workday, workday and d.weekday() >= 5, not workday and d.weekday() < 5,
                            duties.get(d) if workday else None))
    working = [r for r in rows if r.workday]
    return {"month": month, "rota": rota_of(unit, month), "days": rows, "working": len(working),
            "covered": sum(1 for r in working if r.duty), "uncovered": sum(1 for r in working if not r.duty),
            "prev": shift_month(month, -1), "next": shift_month(month, 1)}


def receptionist_on(unit: Unit, day: date) -> ReceptionDuty | None:
    return db.session.scalar(select(ReceptionDuty).where(ReceptionDuty.unit_id == unit.id, ReceptionDuty.day == day,
                                                         ReceptionDuty.account_id.is_not(None)))


def staff_of(unit: Unit) -> list[Account]:
    """The unit's staff who take turns in the reception room (leaders, officers, intake), by name."""
    return list(db.session.scalars(
        select(Account).join(Membership, Membership.account_id == Account.id)
        .where(Membership.unit_id == unit.id, Membership.ended_at.is_(None), Membership.role.in_(ROTA_ROLES),
               Account.archived_at.is_(None)).distinct().order_by(Account.display_name, Account.id)))


def swaps_of(unit: Unit, month: str | None = None) -> list[ReceptionSwap]:
    stmt = select(ReceptionSwap).where(ReceptionSwap.unit_id == unit.id)
    if month:
        days = month_days(month)
        stmt = stmt.where(((ReceptionSwap.first_day >= days[0]) & (ReceptionSwap.first_day <= days[-1]))
                          | ((ReceptionSwap.second_day >= days[0]) & (ReceptionSwap.second_day <= days[-1])))
    return list(db.session.scalars(stmt.order_by(ReceptionSwap.id.desc())))


# ---------------------------------------------------------------- the list and its filter


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


@dataclass
class ReceptionFilter:
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    converted: str = ""  # "1": registered as petitions; "0": not
    staff_id: int | None = None

    @classmethod
    def from_args(cls, args) -> "ReceptionFilter":
        kind = str(args.get("kind") or "")
        staff = str(args.get("staff_id") or "")
        return cls(kind=kind if kind in KINDS else "", date_from=_day(args.get("date_from")),
                   date_to=_day(args.get("date_to")),
                   converted=str(args.get("converted") or "") if args.get("converted") in ("0", "1") else "",
                   staff_id=int(staff) if staff.isdigit() and 0 < int(staff) < 2**31 else None)

    def as_args(self) -> dict:
        args = {"kind": self.kind, "date_from": self.date_from.isoformat() if self.date_from else "",
                "date_to": self.date_to.isoformat() if self.date_to else "", "converted": self.converted,
                "staff_id": str(self.staff_id or "")}
        return {k: v for k, v in args.items() if v}


def list_query(unit: Unit, f: ReceptionFilter):
    stmt = select(Reception).where(Reception.unit_id == unit.id)
    if f.kind:
        stmt = stmt.where(Reception.kind == f.kind)
    if f.date_from:
        stmt = stmt.where(Reception.received_on >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Reception.received_on <= f.date_to)
    if f.converted == "1":
        stmt = stmt.where(Reception.petition_id.is_not(None))
    elif f.converted == "0":
        stmt = stmt.where(Reception.petition_id.is_(None))
    if f.staff_id:
        stmt = stmt.where(Reception.staff_account_id == f.staff_id)
    return stmt.order_by(Reception.received_on.desc(), Reception.id.desc())


# ---------------------------------------------------------------- ledger (the export registry's shape)


def ledger_header() -> list[str]:
    return [_("编号"), _("接待日期"), _("接访方式"), _("接待人员"), _("地点"), _("来访群众"), _("反映事项"), _("处理结果"),
            _("转信访举报件"), _("转件日期")]


def ledger_statement(unit: Unit, filters: dict, today: date | None = None):
    """The list page's statement for these filters (``kind``, ``date_from``, ``date_to``, ``converted``,
    ``staff_id``), oldest first as a ledger reads."""
    stmt = list_query(unit, ReceptionFilter.from_args(filters))
    return stmt.order_by(None).order_by(Reception.received_on, Reception.id)


def ledger_rows(unit: Unit, filters: dict, today: date | None = None) -> Iterator[list]:
    """接访登记台账: whether the person gave their name, never who they are (nor any of their particulars)."""
    named, anonymous = _("实名"), _("匿名")
    for r in db.session.scalars(ledger_statement(unit, filters, today).execution_options(yield_per=500)):
        yield [r.number, r.received_on.isoformat(), r.kind_label, r.staff_name, r.place, anonymous if r.anonymous
               else named, r.matter, r.outcome, r.petition_number or "",
               r.converted_on.isoformat() if r.converted_on else ""]


# ---------------------------------------------------------------- the workbench


def workbench_rota(unit: Unit, account) -> list[Row]:
    """接访值班: today and the next working days of the reception room's rota; today's receptionist gets the button
    logging a reception. A working day with nobody on duty says so."""
    today = calendar.today()
    days, d = [], today
    while len(days) < WORKBENCH_DAYS and d <= today + timedelta(days=31):
        if calendar.is_workday(d):
            days.append(d)
        d += timedelta(days=1)
    if not days:
        return []
    duties = duties_of(unit, days[0], days[-1])
    if not duties and not db.session.scalar(select(ReceptionRota.id).where(ReceptionRota.unit_id == unit.id).limit(1)):
        return []
    href = url_for("reception.index", unit_id=unit.id)
    may_log = can(account, Action.RECEPTION_LOG, unit)
    rows = []
    for day in days:
        duty = duties.get(day)
        mine = duty is not None and duty.account_id == account.id
        rows.append(Row(
            label=f"{day.isoformat()} {WEEKDAYS[day.weekday()]}", href=href,
            text=duty.staff_name if duty else _("未安排接访人员"),
            state=(_("今日值班") if day == today else _("值班")) if duty else _("未覆盖"),
            step=(_("登记接访"), f"{href}#new-reception") if mine and day == today and may_log else None))
    return rows
