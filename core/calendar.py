"""The working-day calendar: Chinese official holidays and make-up workdays (调休).

Sources, most specific first: a date an administrator entered (``calendar_days``),
then the ``chinese_calendar`` package (it knows the years the State Council has
published when it was released), then Monday–Friday. ``year_coverage`` says which
one a year relies on, so the admin pages can warn before deadlines go wrong.
"""
from __future__ import annotations

import re
from datetime import date, timedelta, timezone

import chinese_calendar
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.audit.operations import record
from core.clock import utcnow
from core.errors import InvalidInput
from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin

CHINA = timezone(timedelta(hours=8))  # no daylight saving since 1991
DUE_SOON_WORKDAYS = 3
DUE_STATE_LABELS = {"overdue": _l("已逾期"), "due_soon": _l("即将到期"), "ok": _l("正常")}
# ISO weekday -> label, for cadences such as "weekly:1" (每周一).
WEEKDAY_LABELS = {1: _l("周一"), 2: _l("周二"), 3: _l("周三"), 4: _l("周四"), 5: _l("周五"), 6: _l("周六"),
                  7: _l("周日")}

_PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class CalendarDay(TimestampMixin, db.Model):
    """An official date entered by an administrator; it overrides the package for that day."""

    __tablename__ = "calendar_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True, nullable=False)
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False, default="")  # e.g. 春节, 春节调休
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


# ---------------------------------------------------------------- lookups


def _overrides(year: int) -> dict[date, bool]:
    """The admin-entered days of ``year``, cached for the app context (a request or a job)."""
    cache = g.setdefault("calendar_overrides", {})
    if year not in cache:
        rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))
        cache[year] = {day: workday for day, workday in rows}
    return cache[year]


def year_coverage(year: int) -> str:
    """What ``year`` relies on: ``package`` (published dates), ``manual`` (admin-entered) or ``weekends_only``."""
    if year in _PACKAGE_YEARS:
        return "package"
    return "manual" if _overrides(year) else "weekends_only"


def is_workday(d: date) -> bool:
    entered = _overrides(d.year).get(d)
    if entered is not None:
        return entered
    if d.year in _PACKAGE_YEARS:
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5


def today() -> date:
    """Today in China (deadlines are days there, whatever the server's zone)."""
    return utcnow().astimezone(CHINA).date()


_today = today  # due_state's parameter is called ``today``


def next_workday_on_or_after(d: date) -> date:
    """顺延: a due date falling on a rest day moves to the next working day."""
    while not is_workday(d):
        d += timedelta(days=1)
    return d


def add_workdays(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` not counted; negative n counts back)."""
    if n == 0:
        return next_workday_on_or_after(start)
    step = timedelta(days=1 if n > 0 else -1)
    d, left = start, abs(n)
    while left:
        d += step
        if is_workday(d):
            left -= 1
    return d


def workdays_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b``; negative if ``b`` is before ``a``."""
    if b < a:
        return -workdays_between(b, a)
    return sum(1 for i in range(1, (b - a).days + 1) if is_workday(a + timedelta(days=i)))


def due_state(due: date, today: date | None = None, soon: int = DUE_SOON_WORKDAYS) -> str:
    """``overdue`` after the due day; ``due_soon`` from ``soon`` working days before it through the day itself."""
    if today is None:
        today = _today()
    if today > due:
        return "overdue"
    return "due_soon" if workdays_between(today, due) <= soon else "ok"


# ---------------------------------------------------------------- administrators' entries

_WORK_WORDS = {"班": True, "上班": True, "workday": True, "休": False, "放假": False, "holiday": False}
_DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def parse_official_dates(text: str) -> list[tuple[date, bool, str]]:
    """Lines like ``2027-02-06 休 春节`` / ``2027-02-07 班 春节调休``; blank lines and ``#`` comments skipped.

    Every bad line is reported (by its line number), so the admin can fix the paste in one go.
    """
    rows: list[tuple[date, bool, str]] = []
    seen: dict[date, int] = {}
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(None, 2)  # also splits on tabs (pasted from a spreadsheet) and full-width spaces
        if not parts or parts[0].startswith("#"):
            continue
        match = _DATE_RE.fullmatch(parts[0])
        try:
            day = date(*map(int, match.groups())) if match else None
        except ValueError:
            day = None
        kind = _WORK_WORDS.get(parts[1].lower()) if len(parts) > 1 else None
        name = parts[2].strip() if len(parts) > 2 else ""
        if day is None:
            errors.append(_("第 %(n)s 行：日期应写成 2027-02-06 这样的格式", n=number))
        elif kind is None:
            errors.append(_("第 %(n)s 行：日期后应写“休”或“班”", n=number))
        elif len(name) > 50:
            errors.append(_("第 %(n)s 行：名称不能超过 50 个字", n=number))
        elif day in seen:
            errors.append(_("第 %(n)s 行：与第 %(m)s 行日期重复", n=number, m=seen[day]))
        else:
            seen[day] = number
            rows.append((day, kind, name))
    if errors:
        raise InvalidInput({"dates": errors})
    if not rows:
        raise InvalidInput({"dates": [_("请至少填写一行日期")]})
    return rows


def save_official_dates(rows: list[tuple[date, bool, str]], account_id: int | None) -> int:
    """Insert or update the given days (a later entry for a day replaces the earlier one); audited."""
    existing = {row.day: row for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.in_([day for day, _w, _n in rows])))}
    for day, workday, name in rows:
        row = existing.get(day) or CalendarDay(day=day)
        row.is_workday, row.name, row.entered_by_id = workday, name, account_id
        db.session.add(row)
    db.session.flush()
    g.pop("calendar_overrides", None)  # the next lookup sees the new days
    entered = [f"{day.isoformat()} {'班' if workday else '休'} {name}".strip() for day, workday, name in rows]
    record("calendar.update", object_type="calendar", detail={"count": len(rows), "dates": entered},
           account=db.session.get(Account, account_id) if account_id else None)
    return len(rows)
