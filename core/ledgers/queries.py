"""Reads of the ledgers (18项台账) for the pages, the API, the jobs and other areas: the catalogue a unit inherits,
each ledger's state (rows this month, last entry, current/stale/missing for its period), the completeness of a set of
townships (``completeness_by_unit``: the guidance area calls it), a kept ledger's rows, and the loaders (404 outside
scope) of rows, workbooks and spot checks."""
from __future__ import annotations

import calendar as _cal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from core import calendar, context
from core.extensions import db
from core.ledgers.models import LedgerDefinition, LedgerRow, LedgerWorkbook, SpotCheck
from core.ledgers.registry import SOURCES
from core.ledgers.workflow import COLUMN_TYPES, DEFAULT_CATALOGUE, STATES, month_bounds, state_of
from tenants.access import Action, deny
from tenants.models import Unit, UnitLevel
from tenants.scoping import load_scoped, path_ids


# ---------------------------------------------------------------- the catalogue


def default_definitions() -> list[LedgerDefinition]:
    return [LedgerDefinition(code=code, title=title, kind=kind, source=source, period=period,
                             columns=[dict(c) for c in columns], position=i, archived=False)
            for i, (code, title, kind, source, period, columns) in enumerate(DEFAULT_CATALOGUE)]


def catalogue_of(unit: Unit, *, archived: bool = False) -> list[LedgerDefinition]:
    """The ledgers ``unit`` keeps: the catalogue written above it (and by itself, for a province or city), a nearer
    unit's entry of a code replacing a farther one's; the default 18 where none is written."""
    ids = path_ids(unit.path)
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        rows = list(db.session.scalars(select(LedgerDefinition).where(LedgerDefinition.unit_id.in_(ids))))
    if not rows:
        return default_definitions()
    depth = {unit_id: i for i, unit_id in enumerate(ids)}
    by_code: dict[str, LedgerDefinition] = {}
    for d in sorted(rows, key=lambda d: depth[d.unit_id]):
        by_code[d.code] = d
    return sorted((d for d in by_code.values() if archived or not d.archived), key=lambda d: (d.position, d.code))


def definition_of(unit: Unit, code: str) -> LedgerDefinition | None:
    return next((d for d in catalogue_of(unit) if d.code == code), None)


def load_definition(unit: Unit, code: str, account, action: Action = Action.LEDGER_ROWS_READ) -> LedgerDefinition:
    """A ledger of the township's catalogue, or 404."""
    from tenants.access import can

    definition = definition_of(unit, str(code or "")[:32]) if unit.level == UnitLevel.TOWNSHIP else None
    if definition is None or not can(account, action, unit, target=unit):
        deny(action, unit=unit, object_type="ledger_definitions", object_id=code)
    return definition


def load_numbered(unit: Unit, number: int, account, action: Action = Action.LEDGER_ROWS_READ) -> LedgerDefinition:
    """A ledger of the township's catalogue by its number (第N项: its position + 1), or 404."""
    definition = next((d for d in catalogue_of(unit) if d.position + 1 == number), None)
    return load_definition(unit, definition.code if definition else "", account, action)


def column_types() -> dict:
    return {k: str(v) for k, v in COLUMN_TYPES.items()}


# ---------------------------------------------------------------- each ledger's state


@dataclass
class LedgerState:
    definition: LedgerDefinition
    available: bool
    rows_this_month: int
    total: int
    last_date: date | None
    state: str

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])


def _kept_figures(unit_ids: list[int], today: date) -> dict[tuple[int, str], tuple[int, date | None, int]]:
    """(unit, code) -> (rows, last entry, rows this month) of kept ledgers, in one statement."""
    start, end = month_bounds(today)
    month = func.sum(case((and_(LedgerRow.entry_date >= start, LedgerRow.entry_date <= end), 1), else_=0))
    rows = db.session.execute(select(LedgerRow.unit_id, LedgerRow.code, func.count(), func.max(LedgerRow.entry_date),
                                     month).where(LedgerRow.unit_id.in_(unit_ids))
                              .group_by(LedgerRow.unit_id, LedgerRow.code)).all()
    return {(r[0], r[1]): (r[2], r[3], int(r[4] or 0)) for r in rows}


def _states(unit: Unit, catalogue: list[LedgerDefinition], kept: dict, today: date) -> list[LedgerState]:
    start, end = month_bounds(today)
    states = []
    for d in catalogue:
        if d.kind == "generated":
            source = SOURCES.get(d.source or "")
            if source is None:
                states.append(LedgerState(d, False, 0, 0, None, "unavailable"))
                continue
            last = source.last_date(unit)
            total = source.count(unit) if last else 0
            month = source.count_in(unit, start, end) if last else 0
        else:
            total, last, month = kept.get((unit.id, d.code), (0, None, 0))
        states.append(LedgerState(d, True, month, total, last, state_of(last, d.period, today)))
    return states


def ledger_states(unit: Unit, today: date | None = None) -> list[LedgerState]:
    """The township's ledgers, each with its rows this month, its last entry and its state. Counted as the
    maintenance context (numbers only): a county's page counts its townships' records without reading them."""
    today = today or calendar.today()
    catalogue = catalogue_of(unit)
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        return _states(unit, catalogue, _kept_figures([unit.id], today), today)


def summarise(states: list[LedgerState]) -> dict:
    counted = [s for s in states if s.available]
    out = {"current": 0, "stale": 0, "missing": 0}
    for s in counted:
        out[s.state] += 1
    out["total"] = len(counted)
    return out


def completeness_by_unit(units, today: date | None = None) -> dict[int, dict]:
    """{unit id: {current, stale, missing, total}} of the ledgers of each township among ``units`` (numbers only;
    other units are left out)."""
    today = today or calendar.today()
    towns = [u for u in units if u.level == UnitLevel.TOWNSHIP]
    if not towns:
        return {}
    catalogues = {}
    out = {}
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        kept = _kept_figures([u.id for u in towns], today)
        for town in towns:
            parent = town.parent_id
            if parent not in catalogues:
                catalogues[parent] = catalogue_of(town)
            out[town.id] = summarise(_states(town, catalogues[parent], kept, today))
    return out


def townships_below(unit: Unit) -> list[Unit]:
    """The active townships of ``unit``'s subtree, by code."""
    from tenants.models import upper_bound

    return list(db.session.scalars(select(Unit).where(
        Unit.path >= unit.path, Unit.path < upper_bound(unit.path), Unit.level == UnitLevel.TOWNSHIP,
        Unit.archived_at.is_(None)).order_by(Unit.code)))


def county_overview(county: Unit, today: date | None = None) -> list[tuple[Unit, list[LedgerState], dict]]:
    """Per township of the county: each ledger's state and the summary (the county's completeness page)."""
    today = today or calendar.today()
    towns = townships_below(county)
    out = []
    if not towns:
        return out
    catalogue = catalogue_of(towns[0])
    with context.acting(context.maintenance_context(account_id=context.current().account_id), db.session):
        kept = _kept_figures([t.id for t in towns], today)
        for town in towns:
            states = _states(town, catalogue, kept, today)
            out.append((town, states, summarise(states)))
    return out


# ---------------------------------------------------------------- a kept ledger's rows


def kept_statement(unit: Unit, code: str, start: date | None = None, end: date | None = None):
    stmt = select(LedgerRow).where(LedgerRow.unit_id == unit.id, LedgerRow.code == code)
    if start:
        stmt = stmt.where(LedgerRow.entry_date >= start)
    if end:
        stmt = stmt.where(LedgerRow.entry_date <= end)
    return stmt.order_by(LedgerRow.entry_date, LedgerRow.id)


def period_bounds(period: str | None) -> tuple[date | None, date | None]:
    """The days a period names: a month (``2026-11``) or a year (``2026``); none for no period. ValueError else."""
    text = str(period or "").strip()
    if not text:
        return None, None
    if len(text) == 4 and text.isdigit():
        return date(int(text), 1, 1), date(int(text), 12, 31)
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12:
        year, month = int(text[:4]), int(text[5:])
        return date(year, month, 1), date(year, month, _cal.monthrange(year, month)[1])
    raise ValueError(text)


def kept_header(definition: LedgerDefinition) -> list[str]:
    return ["日期", *[c["label"] for c in definition.columns], "登记人", "登记方式"]


def _typed(column: dict, value):
    """A stored value as its column types it: a date column's day as a date (the page shows it as the day, the
    xlsx as a date cell); numbers are stored as numbers already."""
    if column.get("type") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def row_values(definition: LedgerDefinition, row: LedgerRow) -> list:
    values = row.values or {}
    cells = []
    for c in definition.columns:
        value = values.get(c["key"])
        cells.append("" if value is None else _typed(c, value))
    return [row.entry_date, *cells, row.created_by.display_name if row.created_by else "",
            _("导入") if row.origin == "import" else _("表单")]


def kept_rows(unit: Unit, definition: LedgerDefinition, start: date | None = None,
              end: date | None = None) -> Iterator[list]:
    for row in db.session.scalars(kept_statement(unit, definition.code, start, end).execution_options(yield_per=500)):
        yield row_values(definition, row)


def kept_count(unit: Unit, code: str, start: date | None = None, end: date | None = None) -> int:
    stmt = kept_statement(unit, code, start, end).order_by(None)
    return db.session.scalar(stmt.with_only_columns(func.count(LedgerRow.id))) or 0


def header_of(definition: LedgerDefinition) -> list[str]:
    if definition.kind == "kept":
        return kept_header(definition)
    source = SOURCES.get(definition.source or "")
    return [str(h) for h in source.header()] if source else []


def rows_of(unit: Unit, definition: LedgerDefinition, today: date | None = None, *, start: date | None = None,
            end: date | None = None) -> Iterator[list]:
    """A ledger's rows: a kept one's from its rows (those of ``start``..``end`` if given), a generated one's exactly
    as its export lists them."""
    if definition.kind == "kept":
        return kept_rows(unit, definition, start, end)
    source = SOURCES.get(definition.source or "")
    return iter(source.rows(unit, None, today)) if source else iter(())


def count_of(unit: Unit, definition: LedgerDefinition, *, start: date | None = None, end: date | None = None) -> int:
    if definition.kind == "kept":
        return kept_count(unit, definition.code, start, end)
    source = SOURCES.get(definition.source or "")
    return source.count(unit) if source else 0


def readable(definition: LedgerDefinition, account, unit: Unit) -> bool:
    """Whether the account may read this ledger's rows here: a generated one also needs its list's Action."""
    from tenants.access import can

    if not can(account, Action.LEDGER_ROWS_READ, unit, target=unit):
        return False
    if definition.kind == "generated":
        source = SOURCES.get(definition.source or "")
        return source is not None and can(account, source.action, unit, target=unit)
    return True


# ---------------------------------------------------------------- workbooks and spot checks


def load_workbook(workbook_id, unit: Unit, account) -> LedgerWorkbook:
    workbook = load_scoped(LedgerWorkbook, workbook_id, unit=unit, account=account, action=Action.LEDGER_ROWS_READ,
                           own=True)
    if workbook.requested_by_id != account.id:
        deny(Action.LEDGER_ROWS_READ, unit=unit, object_type="ledger_workbooks", object_id=workbook_id)
    return workbook


def load_check(check_id, unit: Unit, account, action: Action = Action.SPOT_CHECKS_READ) -> SpotCheck:
    """A spot check as the county (its own) or the township checked (the other party) reaches it."""
    return load_scoped(SpotCheck, check_id, unit=unit, account=account, action=action)


def checks_of(unit: Unit) -> list[SpotCheck]:
    column = SpotCheck.township_id if unit.level == UnitLevel.TOWNSHIP else SpotCheck.unit_id
    return list(db.session.scalars(select(SpotCheck).where(column == unit.id)
                                   .order_by(SpotCheck.starts_on.desc(), SpotCheck.id.desc()).limit(200)))


def drawn_rows(check: SpotCheck) -> dict[int, LedgerRow]:
    """The check's rows the acting account reaches: the township's own, or the checker's through the check's
    shares while they last (none after the check ends)."""
    if not check.row_ids:
        return {}
    return {r.id: r for r in db.session.scalars(select(LedgerRow).where(LedgerRow.id.in_(check.row_ids)))}


def staff_of(county: Unit) -> list:
    from core.identity.models import Account
    from tenants.models import Membership, Role

    return list(db.session.scalars(
        select(Account).join(Membership, Membership.account_id == Account.id)
        .where(Membership.unit_id == county.id, Membership.ended_at.is_(None),
               Membership.role.in_((Role.LEADER.value, Role.OFFICER.value)), Account.archived_at.is_(None))
        .distinct().order_by(Account.display_name, Account.id)))
