"""The working-day calendar: Chinese official holidays and make-up workdays (调休).

A year's rule, most specific first: the whole schedule an administrator entered for it
(``holiday_schedules``: every holiday period of the State Council's notice and its make-up
working days), else the ``chinese_calendar`` package (it knows the years published when it
was released), else Monday–Friday. A year with neither a schedule nor the package is not
known: a deadline falling in it is an estimate and says so wherever it is shown
(``is_estimated``). When a schedule arrives or changes, ``recompute_deadlines`` moves every
open deadline the areas declared (``DeadlineSource``) that was counted through that year.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, utils
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core import timefmt
from core.areas import Registry
from core.audit.operations import record
from core.errors import InvalidInput
from core.extensions import db
from core.identity.models import Account
from core.jobs import across_units, job
from core.models import TimestampMixin

CHINA = timezone(timedelta(hours=8))  # no daylight saving since 1991
DUE_SOON_WORKDAYS = 3
DUE_STATE_LABELS = {"overdue": _l("已逾期"), "due_soon": _l("即将到期"), "ok": _l("正常")}
# ISO weekday -> label, for cadences such as "weekly:1" (每周一).
WEEKDAY_LABELS = {1: _l("周一"), 2: _l("周二"), 3: _l("周三"), 4: _l("周四"), 5: _l("周五"), 6: _l("周六"),
                  7: _l("周日")}
ESTIMATE_MARK = _l("（节假日未公布，按工作日估算）")
# The holidays every State Council notice schedules (全国年节及纪念日放假办法), in the notice's order.
FESTIVALS = {"new_year": _l("元旦"), "spring": _l("春节"), "qingming": _l("清明节"), "labour": _l("劳动节"),
             "dragon_boat": _l("端午节"), "mid_autumn": _l("中秋节"), "national": _l("国庆节")}
MAX_PERIOD_DAYS = 15

_PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class CalendarDay(TimestampMixin, db.Model):
    """A single date entered before schedules were whole (kept; a year's schedule supersedes them)."""

    __tablename__ = "calendar_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True, nullable=False)
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False, default="")  # e.g. 春节, 春节调休
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class HolidaySchedule(TimestampMixin, db.Model):
    """A year's whole schedule as the State Council's notice gives it; it replaces the package for that year."""

    __tablename__ = "holiday_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    # [{"festival": "spring", "start": "2027-02-05", "end": "2027-02-11", "workdays": ["2027-01-31"]}, ...]
    periods: Mapped[list] = mapped_column(JSON, nullable=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


# ---------------------------------------------------------------- a year's rule


@dataclass(frozen=True)
class YearRule:
    """How a year's days are decided: ``source`` is schedule, package, partial (single dates) or weekends_only."""

    source: str
    days: dict[date, bool] = field(default_factory=dict)  # dates that differ from the source's own rule

    @property
    def known(self) -> bool:
        return self.source in ("schedule", "package")

    def as_job_arg(self) -> dict:
        return {"source": self.source, "days": {d.isoformat(): w for d, w in self.days.items()}}

    @classmethod
    def from_job_arg(cls, data: dict) -> YearRule:
        return cls(data["source"], {date.fromisoformat(d): w for d, w in data["days"].items()})


def schedule_days(periods: list[dict]) -> dict[date, tuple[bool, str]]:
    """Every date a schedule fixes: the holiday periods' days (rest) and their make-up days (work)."""
    days: dict[date, tuple[bool, str]] = {}
    for period in periods:
        name = str(FESTIVALS[period["festival"]])
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
        for i in range((end - start).days + 1):
            day = start + timedelta(days=i)
            days[day] = (False, f"{days[day][1]}、{name}" if day in days else name)  # 中秋节、国庆节 together
        for iso in period["workdays"]:
            days[date.fromisoformat(iso)] = (True, _("%(name)s调休上班", name=name))
    return days


def _load_rule(year: int) -> YearRule:
    schedule = db.session.scalar(select(HolidaySchedule.periods).where(HolidaySchedule.year == year))
    if schedule is not None:
        return YearRule("schedule", {d: w for d, (w, _n) in schedule_days(schedule).items()})
    singles = {day: workday for day, workday in db.session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))}
    if year in _PACKAGE_YEARS:
        return YearRule("package", singles)
    return YearRule("partial" if singles else "weekends_only", singles)


def year_rule(year: int) -> YearRule:
    """The rule of ``year``, cached for the app context (a request or a job)."""
    cache = g.setdefault("calendar_rules", {})
    if year not in cache:
        cache[year] = _load_rule(year)
    return cache[year]


@contextmanager
def rule_in_force(year: int, rule: YearRule):
    """Count with ``rule`` for ``year`` for a while (the recompute job re-derives deadlines the old way)."""
    cache = g.setdefault("calendar_rules", {})
    before = cache.get(year)
    cache[year] = rule
    try:
        yield
    finally:
        if before is None:
            cache.pop(year, None)
        else:
            cache[year] = before


def forget_rules() -> None:
    g.pop("calendar_rules", None)


def year_coverage(year: int) -> str:
    """What ``year`` relies on: ``schedule``, ``package``, ``partial`` (single dates only) or ``weekends_only``."""
    return year_rule(year).source


def year_known(year: int) -> bool:
    return year_rule(year).known


def is_estimated(due: date | None) -> bool:
    """A deadline falling in a year whose holidays are not known: counted on weekdays only, an estimate."""
    return due is not None and not year_known(due.year)


def estimate_suffix(due: date | None) -> str:
    """The mark to put after a deadline shown as text ('' when the deadline is firm)."""
    return str(ESTIMATE_MARK) if is_estimated(due) else ""


def estimated_flag(attr: str = "due_on") -> fields.Function:
    """The API's ``<deadline>_estimated``: true when the deadline ``attr`` falls in a year whose holidays are unknown."""
    def flag(obj) -> bool:
        value = utils.get_value(obj, attr)
        return is_estimated(date.fromisoformat(value) if isinstance(value, str) and value else value or None)
    return fields.Function(flag, metadata={"description": f"{attr} is counted on weekdays only: its year's "
                                                          "holidays are not published yet (an estimate)"})


def is_workday(d: date) -> bool:
    rule = year_rule(d.year)
    entered = rule.days.get(d)
    if entered is not None:
        return entered
    if rule.source == "package":
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5


def today() -> date:
    """Today in the deployment's zone (deadlines are days there, whatever the server's zone)."""
    return timefmt.now().date()


_today = today  # due_state's parameter is called ``today``


def as_china_date(moment: datetime) -> date:
    """The day in the deployment's zone of a stored (UTC) moment."""
    return timefmt.local_date(moment)


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


# ---------------------------------------------------------------- a year's whole schedule

_DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def _parse_day(text: str) -> date | None:
    match = _DATE_RE.fullmatch(text.strip())
    try:
        return date(*map(int, match.groups())) if match else None
    except ValueError:
        return None


def parse_schedule(year: int, form) -> list[dict]:
    """A whole year as the notice gives it: each holiday's first and last day off and its make-up working days
    (``<festival>_start``, ``<festival>_end``, ``<festival>_workdays``). Anything missing or wrong is refused,
    every error at once; 中秋节 and 国庆节 taken together are entered with the same dates on both rows."""
    errors: dict[str, list[str]] = {}
    periods: list[dict] = []
    missing = []
    for key, name in FESTIVALS.items():
        raw_start, raw_end = (form.get(f"{key}_start") or "").strip(), (form.get(f"{key}_end") or "").strip()
        raw_work = (form.get(f"{key}_workdays") or "").strip()
        if not raw_start and not raw_end:
            missing.append(str(name))
            continue
        start, end = _parse_day(raw_start), _parse_day(raw_end or raw_start)
        workdays = [_parse_day(w) for w in re.split(r"[\s,，、;；]+", raw_work) if w]
        problems = []
        if start is None or end is None or None in workdays:
            problems.append(_("日期应写成 %(y)s-02-06 这样的格式", y=year))
        elif any(d.year != year for d in (start, end, *workdays)):
            problems.append(_("日期应在 %(y)s 年内", y=year))
        elif end < start:
            problems.append(_("放假结束日期不能早于开始日期"))
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            problems.append(_("一次放假不超过 %(n)s 天，请核对日期", n=MAX_PERIOD_DAYS))
        elif any(d.weekday() < 5 for d in workdays):
            problems.append(_("调休上班日应是周六或周日"))
        elif any(start <= d <= end for d in workdays):
            problems.append(_("调休上班日不能在放假期间"))
        if problems:
            errors[key] = [_("%(name)s：%(problem)s", name=name, problem=p) for p in problems]
        else:
            periods.append({"festival": key, "start": start.isoformat(), "end": end.isoformat(),
                            "workdays": sorted({d.isoformat() for d in workdays})})
    if missing:
        errors["schedule"] = [_("放假安排不完整：缺少%(names)s的放假日期。请按国务院办公厅通知录入全年每个节日的放假起止日期和调休上班日",
                                names="、".join(missing))]
    for i, a in enumerate(periods):  # only a holiday taken together (the same dates) may share days
        for b in periods[i + 1:]:
            if (a["start"], a["end"]) != (b["start"], b["end"]) and a["start"] <= b["end"] and b["start"] <= a["end"]:
                errors.setdefault(b["festival"], []).append(_("%(a)s与%(b)s的放假日期重叠（两节合并放假请填写相同日期）",
                                                             a=FESTIVALS[a["festival"]], b=FESTIVALS[b["festival"]]))
    if not errors:
        holidays = {d for d, (w, _n) in schedule_days(periods).items() if not w}
        clash = sorted(iso for p in periods for iso in p["workdays"] if date.fromisoformat(iso) in holidays)
        if clash:
            errors["schedule"] = [_("%(d)s 既是放假日又是调休上班日", d="、".join(clash))]
    if errors:
        raise InvalidInput(errors)
    return periods


@dataclass(frozen=True)
class PreviewRow:
    day: date
    weekday: str
    by_weekdays: bool  # Monday–Friday would make it a working day
    scheduled: bool
    name: str


def preview(year: int, periods: list[dict]) -> dict:
    """What the schedule changes against the Monday–Friday default: the dates that differ and the year's totals."""
    fixed = schedule_days(periods)
    rows = [PreviewRow(d, str(WEEKDAY_LABELS[d.isoweekday()]), d.weekday() < 5, w, name)
            for d, (w, name) in sorted(fixed.items()) if w != (d.weekday() < 5)]
    days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    by_weekdays = sum(d.weekday() < 5 for d in days)
    return {"rows": rows, "workdays_by_weekdays": by_weekdays,
            "workdays_scheduled": sum(fixed[d][0] if d in fixed else d.weekday() < 5 for d in days),
            "holidays_on_weekdays": sum(1 for r in rows if not r.scheduled),
            "makeup_days": sum(1 for r in rows if r.scheduled)}


def save_schedule(year: int, periods: list[dict], account_id: int | None) -> HolidaySchedule:
    """Store the year's whole schedule (a later one replaces it), audited, then have every open deadline counted
    through the year recomputed by a job."""
    before = year_rule(year)
    schedule = db.session.scalar(select(HolidaySchedule).where(HolidaySchedule.year == year))
    replaced = schedule.periods if schedule else None
    schedule = schedule or HolidaySchedule(year=year)
    schedule.periods, schedule.entered_by_id = periods, account_id
    db.session.add(schedule)
    db.session.flush()
    forget_rules()  # the next lookup counts with the new schedule
    record("calendar.schedule", object_type="holiday_schedules", object_id=schedule.id,
           detail={"year": year, "replaced": replaced is not None, "periods": [_period_text(p) for p in periods]},
           account=db.session.get(Account, account_id) if account_id else None)
    recompute_deadlines.enqueue(year, before.as_job_arg())
    return schedule


def _period_text(period: dict) -> str:
    text = f"{FESTIVALS[period['festival']]} {period['start']}～{period['end']}"
    return text + (f" 调休上班 {'、'.join(period['workdays'])}" if period["workdays"] else "")


# ---------------------------------------------------------------- recomputing open deadlines


@dataclass(frozen=True)
class DeadlineSource:
    """Open deadlines of one kind of record, as an area declares them at import.

    ``bases(record)`` gives the (start, working days) pairs the deadline may have been counted from;
    a deadline equal to none of them under the old rule was set by hand and stays. ``log`` writes the
    change on the record's own history (which also audits it).
    """

    model: type
    is_open: Callable[[], object]  # a SQL condition: the deadline still runs
    bases: Callable[[object], Iterable[tuple[date, int]]]
    log: Callable[[object, date, date, int], None]
    field: str = "due_on"


DEADLINE_SOURCES: list[DeadlineSource] = []


def register_deadline_source(source: DeadlineSource) -> None:
    DEADLINE_SOURCES.append(source)


def deadline_change_reason(year: int, old: date, new: date, what: str | None = None) -> str:
    return _("%(y)s 年节假日安排已更新，%(what)s由 %(old)s 调整为 %(new)s", y=year, what=what or _("办理期限"),
             old=old.isoformat(), new=new.isoformat())


def recompute_open_deadlines(year: int, before: YearRule) -> int:
    """Move every open deadline counted through ``year`` that the old rule produced to what the current rule gives."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    moved = 0
    for source in DEADLINE_SOURCES:
        column = getattr(source.model, source.field)
        for obj in db.session.scalars(select(source.model).where(source.is_open(), column >= first)):
            due = getattr(obj, source.field)
            for start, n in source.bases(obj):
                if start > last:
                    continue
                with rule_in_force(year, before):
                    counted_before = add_workdays(start, n)
                if counted_before != due:
                    continue
                new = add_workdays(start, n)
                if new != due:
                    setattr(obj, source.field, new)
                    source.log(obj, due, new, year)
                    moved += 1
                break
    return moved


# What else an area counted with the calendar (a rota's covered working days …): each listener is called with the
# year and the rule in force before, after the deadlines moved, to count its figures again under the new rule.
SCHEDULE_LISTENERS = Registry("areas' figures counted with the working-day calendar")


def _recount_after_schedule(year: int, before: YearRule) -> int:
    moved = recompute_open_deadlines(year, before)
    for listener in SCHEDULE_LISTENERS.values():
        listener(year, before)
    return moved


@job(queue="maintenance", timeout=3600)
def recompute_deadlines(year: int, before: dict) -> int:
    """After a year's schedule arrived or changed (idempotent: a moved deadline no longer matches the old rule, a
    listener's figures are moved by the difference between the old rule's count and the new one's)."""
    return across_units(lambda: _recount_after_schedule(year, YearRule.from_job_arg(before)))
