"""The workbench (工作台) of a unit's home page: the panels the areas declare, chosen for the account's roles.

Tenancy imports no area: each area (and reporting) declares its panels in its ``area.py`` (``Area.workbench``),
a panel being a function ``(unit, account) -> rows`` that reads with one query. This module picks the panels
for the account's roles at the unit, runs them, and holds the rule that roles reading no records (analyst,
unit admin) see numbers only: a record panel is never run for them, and a figures panel's rows keep their
label and count, nothing else.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from core import calendar
from core.areas import installed
from core.clock import utcnow
from tenants.access import Action, can
from tenants.models import Unit, UnitLevel

# A record is "new to" its handler for this long after it was registered (or reached the unit).
NEW_DAYS = 3
# A record panel shows at most this many rows (soonest deadline first); the panel's link opens the full list.
PANEL_ROWS = 20


@dataclass(frozen=True)
class Row:
    """One line of a panel: a record (label = its number, with a link and the next step's button) or a figure
    (label = the figure's or the unit's name, with its count)."""
    label: str
    href: str | None = None
    text: str = ""  # what the record is about (a record panel only)
    state: str = ""  # the record's state, in words
    due_on: date | None = None
    flag: str = ""  # overdue | due_soon | new
    step: tuple[str, str] | None = None  # (label, URL) of the next step, where the account may take it
    count: int | float | None = None  # a figure
    counts: tuple = ()  # several figures of one line (a child unit's overdue by area): (label, value)
    key: tuple[str, int] | None = None  # (object type, id): the inbox's fallback skips a record shown above


@dataclass(frozen=True)
class Panel:
    """A panel an area declares. ``audience``: the Action of those who see it at the unit (an officer's own
    records, a leader's decisions, intake's day, the figures); ``numbers``: figures only (then also shown
    to roles that read no records); ``above_township``: only at a unit with units below it; ``href``: the
    full list, as (endpoint, query arguments) at the unit."""
    key: str
    title: str
    rows: Callable[[Unit, object], list[Row]]
    audience: Action | None = None
    numbers: bool = False
    above_township: bool = False
    rank: int = 50
    href: tuple[str, dict] | None = None
    action: Action | None = None  # what the account must be allowed at the unit to see the panel at all
    empty: str = ""


@dataclass
class Shown:
    """A panel as the page shows it."""
    panel: Panel
    rows: list[Row] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.panel.title)


@dataclass(frozen=True)
class Window:
    """The days a record panel looks at: due by ``horizon`` (3 working days), or new since ``since``."""
    today: date
    horizon: date
    since: datetime


def window(today: date | None = None) -> Window:
    today = today or calendar.today()
    return Window(today, calendar.add_workdays(today, calendar.DUE_SOON_WORKDAYS), utcnow() - timedelta(days=NEW_DAYS))


def flag_of(due_on: date | None, created_at: datetime | None, w: Window) -> str:
    """overdue / due_soon by the record's deadline, else new when it arrived within the window."""
    if due_on is not None:
        state = calendar.due_state(due_on, w.today)
        if state != "ok":
            return state
    if created_at is not None and (created_at if created_at.tzinfo else created_at.replace(tzinfo=w.since.tzinfo)) >= w.since:
        return "new"
    return ""


FLAG_LABELS = {"overdue": calendar.DUE_STATE_LABELS["overdue"], "due_soon": calendar.DUE_STATE_LABELS["due_soon"]}


def reads_records(account, unit: Unit) -> bool:
    """Whether the account reads casework records at the unit; if not (analyst, unit admin), numbers only."""
    return can(account, Action.RECORDS_READ, unit)


def _numbers_only(row: Row) -> Row:
    """A figures row as a role reading no records may see it: label and counts, no link, no text."""
    return Row(label=row.label, count=row.count, counts=row.counts)


def panels_for(unit: Unit, account) -> list[Shown]:
    """The panels of the account's workbench at the unit, in rank order, each with its rows."""
    records = reads_records(account, unit)
    shown: list[Shown] = []
    seen: set[tuple[str, int]] = set()
    for panel in sorted(installed().workbench, key=lambda p: p.rank):
        if panel.audience is None or not can(account, panel.audience, unit):
            continue
        if not panel.numbers and not records:
            continue
        if panel.above_township and unit.level == UnitLevel.TOWNSHIP:
            continue
        if panel.action is not None and not can(account, panel.action, unit):
            continue
        rows = panel.rows(unit, account)
        if panel.numbers and not records:
            rows = [_numbers_only(row) for row in rows]
        else:
            rows = [row for row in rows if row.key is None or row.key not in seen]
            seen.update(row.key for row in rows if row.key is not None)
        shown.append(Shown(panel, rows))
    return shown


# The audiences a panel is declared for: named Actions, decided by tenants.access like every other.
RECORD_ROLES = Action.WORKBENCH_INBOX
OFFICERS = Action.WORKBENCH_OWN
LEADERS = Action.WORKBENCH_DECISIONS
INTAKE = Action.WORKBENCH_INTAKE
FIGURE_READERS = Action.WORKBENCH_FIGURES


def with_step(row: Row, step: tuple[str, str] | None) -> Row:
    return replace(row, step=step) if step else row
