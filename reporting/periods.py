"""Reporting periods: this week, month, quarter, year or a custom range, by name or by key."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from core import calendar
from core.errors import InvalidInput

PERIOD_KINDS = ("week", "month", "quarter", "year", "range")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
MAX_RANGE_DAYS = 366 * 5


@dataclass(frozen=True)
class Period:
    kind: str
    since: date
    until: date  # inclusive

    @property
    def key(self) -> str:
        s = self.since
        match self.kind:
            case "week":
                year, week, _day = s.isocalendar()
                return f"{year}-W{week:02d}"
            case "month":
                return f"{s.year:04d}-{s.month:02d}"
            case "quarter":
                return f"{s.year:04d}-Q{(s.month - 1) // 3 + 1}"
            case "year":
                return f"{s.year:04d}"
        return f"{self.since.isoformat()}..{self.until.isoformat()}"

    @property
    def label(self) -> str:
        s = self.since
        match self.kind:
            case "week":
                year, week, _day = s.isocalendar()
                return _("%(y)s年第%(w)s周（%(a)s至%(b)s）", y=year, w=week, a=_md(s), b=_md(self.until))
            case "month":
                return _("%(y)s年%(m)s月", y=s.year, m=s.month)
            case "quarter":
                return _("%(y)s年第%(q)s季度", y=s.year, q=(s.month - 1) // 3 + 1)
            case "year":
                return _("%(y)s年", y=s.year)
        return _("%(a)s至%(b)s", a=self.since.isoformat(), b=self.until.isoformat())

    @property
    def short_label(self) -> str:
        match self.kind:
            case "week":
                return _("第%(w)s周", w=self.since.isocalendar()[1])
            case "month":
                return _("%(m)s月", m=self.since.month)
        return self.label

    def previous(self) -> "Period":
        match self.kind:
            case "week":
                return week_of(self.since - timedelta(days=7))
            case "month":
                return month_of(self.since - timedelta(days=1))
            case "quarter":
                return quarter_of(self.since - timedelta(days=1))
            case "year":
                return year_of(self.since - timedelta(days=1))
        span = self.until - self.since
        return Period("range", self.since - span - timedelta(days=1), self.since - timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.since <= day <= self.until

    def is_past(self, today: date | None = None) -> bool:
        return self.until < (today or calendar.today())


def _md(day: date) -> str:
    return f"{day.month}.{day.day}"


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    next_first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Period("month", first, next_first - timedelta(days=1))


def quarter_of(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    last_month = month_of(date(first.year, first.month + 2, 1))
    return Period("quarter", first, last_month.until)


def year_of(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))


def parse_period(text: str | None, today: date | None = None, field: str = "period") -> Period:
    """``week``/``month``/``quarter``/``year`` (the current one), a key (``2026-W47``, ``2026-11``,
    ``2026-Q4``, ``2026``) or a range ``2026-11-01..2026-11-20``; anything else is a 422."""
    today = today or calendar.today()
    text = (text or "month").strip()
    try:
        match text:
            case "week":
                return week_of(today)
            case "month":
                return month_of(today)
            case "quarter":
                return quarter_of(today)
            case "year":
                return year_of(today)
        if m := _WEEK.match(text):
            return week_of(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if m := _MONTH.match(text):
            return month_of(date(int(m[1]), int(m[2]), 1))
        if m := _QUARTER.match(text):
            return quarter_of(date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1))
        if m := _YEAR.match(text):
            return year_of(date(int(m[1]), 1, 1))
        if m := _RANGE.match(text):
            since, until = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if until < since:
                raise InvalidInput({field: [_("结束日期不能早于开始日期")]})
            if (until - since).days > MAX_RANGE_DAYS:
                raise InvalidInput({field: [_("统计区间最长五年")]})
            return Period("range", since, until)
    except ValueError:
        pass
    raise InvalidInput({field: [_("统计周期无效：可填 week、month、quarter、year，或 2026-W47、2026-11、2026-Q4、2026、"
                                  "2026-11-01..2026-11-20")]})


def recent_weeks(count: int, today: date | None = None) -> list[Period]:
    """The last ``count`` ISO weeks, oldest first, ending with the current one (for trend lines)."""
    current = week_of(today or calendar.today())
    weeks = [current]
    for _i in range(count - 1):
        weeks.append(weeks[-1].previous())
    return list(reversed(weeks))
