"""Defining indicators and scoring units on them (a score is computed from the roll-ups, never stored)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from core.audit.operations import record as audit
from core.clock import utcnow
from core.errors import InvalidInput, add_error
from core.extensions import db
from core.models import check_version
from core.schemas import finite_number
from reporting import rollups
from reporting.figures import FIGURES
from reporting.indicators.models import Indicator
from reporting.periods import Period
from tenants.models import Unit

PERIOD_KINDS = {"month": "本月", "quarter": "本季度", "year": "本年"}
PERCENT_KINDS = ("ratio", "coverage")
MAX_TERMS = 10


def clean_terms(errors: dict, raw_terms: list[dict]) -> list[dict]:
    terms = []
    for i, raw in enumerate(raw_terms, start=1):
        key = str(raw.get("figure") or "").strip()
        if not key and not str(raw.get("weight") or "").strip():
            continue  # an empty row of the form
        figure = FIGURES.get(key)
        if figure is None or figure.kind == "total":
            add_error(errors, "terms", _("第 %(n)s 项：请选择统计指标", n=i))
            continue
        try:
            weight = finite_number(raw.get("weight"))
        except (TypeError, ValueError):
            weight = 0
        if not 0 < weight <= 100:
            add_error(errors, "terms", _("第 %(n)s 项：权重应为 0 到 100 之间的数", n=i))
            continue
        target = None
        if figure.kind not in PERCENT_KINDS:
            try:
                target = finite_number(raw.get("target"))  # "inf" would be no target at all
            except (TypeError, ValueError):
                target = 0
            if target <= 0:
                add_error(errors, "terms", _("第 %(n)s 项：%(f)s 是计数，须填目标值（大于 0）", n=i, f=figure.label))
                continue
        terms.append({"figure": key, "weight": weight, "target": target})
    if not terms and "terms" not in errors:
        add_error(errors, "terms", _("至少设一项统计指标"))
    if len(terms) > MAX_TERMS:
        add_error(errors, "terms", _("最多 %(n)s 项", n=MAX_TERMS))
    if len({t["figure"] for t in terms}) != len(terms):
        add_error(errors, "terms", _("同一统计指标不能重复"))
    return terms


def _clean(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        add_error(errors, "name", _("指标名称不能为空，最长 100 个字"))
    period_kind = str(data.get("period_kind") or "year")
    if period_kind not in PERIOD_KINDS:
        add_error(errors, "period_kind", _("请选择考核周期"))
    terms = clean_terms(errors, list(data.get("terms") or []))
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "description": str(data.get("description") or "").strip()[:2000],
            "period_kind": period_kind, "terms": terms}


def define_indicator(unit: Unit, data: dict) -> Indicator:
    indicator = Indicator(unit_id=unit.id, unit_path=unit.path, **_clean(data))
    db.session.add(indicator)
    db.session.flush()
    audit("indicator.define", unit_id=unit.id, object_type="indicators", object_id=indicator.id,
          detail={"name": indicator.name, "terms": indicator.terms})
    return indicator


def update_indicator(indicator: Indicator, data: dict, *, expected_version: int | None = None) -> None:
    check_version(indicator, expected_version)
    for field, value in _clean(data).items():
        setattr(indicator, field, value)
    db.session.flush()
    audit("indicator.update", unit_id=indicator.unit_id, object_type="indicators", object_id=indicator.id,
          detail={"name": indicator.name, "terms": indicator.terms})


def archive_indicator(indicator: Indicator) -> None:
    if indicator.archived_at is None:
        indicator.archived_at = utcnow()
        audit("indicator.archive", unit_id=indicator.unit_id, object_type="indicators", object_id=indicator.id)


def indicators_for(unit: Unit) -> list[Indicator]:
    """The indicators the unit is scored on: its own and those its ancestors defined (inherited)."""
    ancestors = [int(p) for p in unit.path.split(".") if p]
    return list(db.session.scalars(select(Indicator).where(
        Indicator.unit_id.in_(ancestors), Indicator.archived_at.is_(None)).order_by(Indicator.id)))


# ---------------------------------------------------------------- scoring


def term_score(term: dict, value) -> float:
    """0–100 for one term: a percentage as it is; a count against its target, in the figure's direction."""
    figure = FIGURES[term["figure"]]
    if value is None:
        return 0.0
    if figure.kind in PERCENT_KINDS:
        return max(0.0, min(100.0, float(value)))
    share = float(value) / term["target"]
    return round(100.0 * (min(share, 1.0) if figure.higher_is_better else max(0.0, 1.0 - share)), 1)


@dataclass
class Score:
    unit: Unit
    own_level: bool
    value: float
    parts: list[tuple[dict, object, float]]  # (term, the figure's value, its score)
    rank: int = 0


def score(indicator: Indicator, line: rollups.Rollup) -> Score:
    parts = [(term, line[term["figure"]], term_score(term, line[term["figure"]])) for term in indicator.terms]
    total_weight = sum(term["weight"] for term in indicator.terms) or 1
    value = round(sum(term["weight"] * s for term, _v, s in parts) / total_weight, 1)
    return Score(line.unit, line.own_level, value, parts)


def scores_by_child(indicator: Indicator, unit: Unit, period: Period) -> tuple[Score, list[Score]]:
    """The unit's own score (its subtree) and each child's, ranked (ties share a rank; 本级 unranked)."""
    keys = [term["figure"] for term in indicator.terms]
    whole = score(indicator, rollups.rollup(unit, period, keys))
    lines = [score(indicator, line) for line in rollups.children_rollup(unit, period, keys)]
    ranked = sorted((s for s in lines if not s.own_level), key=lambda s: s.value, reverse=True)
    previous, rank = None, 0
    for i, s in enumerate(ranked, start=1):
        if s.value != previous:
            rank, previous = i, s.value
        s.rank = rank
    return whole, ranked + [s for s in lines if s.own_level]
