"""The sources of generated ledgers (平台生成的台账): ``SOURCES``, a registry the ledgers area offers and reporting fills
at start-up from its export registry (reporting/area.py ``install``), so a generated ledger's columns and rows are the
export's own — one definition, never typed twice. Casework does not import reporting; reporting fills this.

A source is an exporter of the export registry (``kind``, ``title``, ``action``, ``header()``, ``statement(unit,
filters, today)``, ``rows(unit, filters, today)``) plus the column its rows are dated by: from it come the rows this
month (``count_in``) and the last entry (``last_date``)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import DateTime, func

from core import calendar, timefmt
from core.areas import Registry
from core.extensions import db

SOURCES = Registry("sources of generated ledgers (core.ledgers), filled by reporting's exporters")


@dataclass(frozen=True)
class Source:
    kind: str
    title: object
    action: object  # tenants.access.Action reading the list
    header: Callable[[], list]
    statement: Callable  # (unit, filters, today) -> Select of the list
    list_rows: Callable  # (unit, filters, today) -> rows
    date_column: object  # the column of the statement's records a row is dated by (Date or DateTime)

    @classmethod
    def of(cls, exporter, date_column) -> "Source":
        return cls(exporter.kind, exporter.title, exporter.action, exporter.header, exporter.statement, exporter.rows,
                   date_column)

    def _instant(self) -> bool:
        return isinstance(self.date_column.type, DateTime)

    def _bound(self, day: date):
        return timefmt.day_start(day) if self._instant() else day

    def rows(self, unit, period: tuple[date, date] | None = None, today: date | None = None) -> Iterable[list]:
        """The ledger's rows: exactly the export's rows of the whole list (``period`` is not a filter of the
        list's rows; the period's figures come from ``count_in``)."""
        return self.list_rows(unit, {}, today or calendar.today())

    def count_in(self, unit, start: date, end: date) -> int:
        stmt = self.statement(unit, {}, calendar.today()).order_by(None)
        stmt = stmt.where(self.date_column >= self._bound(start), self.date_column < self._bound(end + timedelta(days=1)))
        return db.session.scalar(stmt.with_only_columns(func.count(), maintain_column_froms=True)) or 0

    def count(self, unit) -> int:
        stmt = self.statement(unit, {}, calendar.today()).order_by(None)
        return db.session.scalar(stmt.with_only_columns(func.count(), maintain_column_froms=True)) or 0

    def last_date(self, unit) -> date | None:
        stmt = self.statement(unit, {}, calendar.today()).order_by(None)
        value = db.session.scalar(stmt.with_only_columns(func.max(self.date_column), maintain_column_froms=True))
        if value is None:
            return None
        if self._instant() or hasattr(value, "hour"):
            return timefmt.local_date(value)
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def register(exporter, date_column) -> None:
    SOURCES.register(exporter.kind, Source.of(exporter, date_column))
