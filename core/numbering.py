"""Document numbers per issuing unit, series and year, e.g. 松林纪督〔2026〕12号.

A counter row per (unit, series, year) is locked while it is advanced, so two documents
issued at once never share a number; a rolled-back request gives its number back.
"""
from __future__ import annotations

import re

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import upsert_insert

# 督 = supervision orders, 澄 = clearing notices, 信 = petitions, 线 = leads (问题线索), 案 = cases (审查调查); shown in the number.
SERIES_MARKS = {"supervision": "纪督", "clearing": "纪澄", "petition": "纪信", "lead": "纪线", "case": "纪案"}
_LEVEL_SUFFIX = re.compile(r"(省|市|县|区|镇|乡|街道|自治州|自治县)$")


class NumberCounter(db.Model):
    __tablename__ = "number_counters"
    __table_args__ = (UniqueConstraint("unit_id", "series", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    unit_path: Mapped[str] = mapped_column(String(255), nullable=False)
    series: Mapped[str] = mapped_column(String(32), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def short_name(unit_name: str) -> str:
    """青山市 -> 青山, 松林县 -> 松林, 东坪街道 -> 东坪: the prefix official numbers use."""
    return _LEVEL_SUFFIX.sub("", unit_name) or unit_name


def next_number(unit, series: str, year: int) -> tuple[int, str]:
    """Advance the unit's counter; returns (sequence, formatted number)."""
    db.session.execute(upsert_insert(NumberCounter.__table__).values(
        unit_id=unit.id, unit_path=unit.path, series=series, year=year, last_value=0).on_conflict_do_nothing())
    counter = db.session.execute(
        select(NumberCounter).where(NumberCounter.unit_id == unit.id, NumberCounter.series == series,
                                    NumberCounter.year == year).with_for_update()).scalar_one()
    counter.last_value += 1
    return counter.last_value, f"{short_name(unit.name)}{SERIES_MARKS[series]}〔{year}〕{counter.last_value}号"
