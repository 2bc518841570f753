"""Zone figures (协作区): a zone's headline figures are the sums over its current members' lines.

Casework may not import reporting (DESIGN.md layers): the app factory hands ``zone_figures`` to the zones
pages through ``core.zones.queries.ZONE_FIGURES``. The catalogue figures come from the county's
children's roll-up (one line per child, one statement); the two figures of the zones themselves — steps
taken on other townships' cases and cases inspected — are the members' own stats rows.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from reporting.figures import AREAS, FIGURES
from reporting.periods import parse_period
from reporting.rollups import children_rollup
from tenants.models import Unit
from tenants.stats import subtree_sum

# The catalogue's figures a zone sums, in the order the comparison table shows them.
CATALOGUE_KEYS = ["clearing.cleared_persons", "clearing.in_progress", "petitions.received", "petitions.concluded",
                  "petitions.overdue", "supervision.open", "supervision.overdue"]
# The zones' own figures (stats metrics moved by tenants.operations.record_share_access and
# core.zones.operations.file_findings): dated increments, summed over the period.
ZONE_METRICS = {
    "zones.cross_handled_steps": (_l("交叉办案办理环节"), "次"),
    "zones.cases_inspected": (_l("交叉检查案件"), "件"),
}
# Figures where fewer is better (the comparison table marks the best zone per column).
LOWER_IS_BETTER = {"petitions.overdue", "supervision.open", "supervision.overdue"}


def columns() -> list[dict]:
    """The comparison's columns, each with its area (a figure such as 办理中 reads under its area's name)."""
    out = [{"key": k, "label": str(FIGURES[k].label), "unit": FIGURES[k].unit, "area": FIGURES[k].area,
            "area_label": str(AREAS[FIGURES[k].area]), "higher_is_better": k not in LOWER_IS_BETTER}
           for k in CATALOGUE_KEYS]
    out += [{"key": k, "label": str(label), "unit": unit, "area": "zones", "area_label": str(_l("协作区")),
             "higher_is_better": True} for k, (label, unit) in ZONE_METRICS.items()]
    return out


def zone_figures(county: Unit, zones_with_member_ids: dict[int, list[int]], period: str | None = None) -> dict:
    """Per zone the sum over its members of the headline figures, for a period (``week``, ``month``,
    ``quarter``, ``year`` — the default — or a period key; a bad one is a 422).

    Returns ``{"period": key, "period_label": …, "columns": [{key, label, unit, higher_is_better}],
    "values": {zone_id: {key: int}}, "best": {key: [zone_id, …]}}``."""
    chosen = parse_period(period or "year")
    lines = {line.unit.id: line for line in children_rollup(county, chosen, CATALOGUE_KEYS) if not line.own_level}
    wanted = {unit_id for ids in zones_with_member_ids.values() for unit_id in ids}
    members = {u.id: u for u in (line.unit for line in lines.values()) if u.id in wanted}
    own = {unit_id: subtree_sum(unit, list(ZONE_METRICS), since=chosen.since, until=chosen.until)
           for unit_id, unit in members.items()}
    values: dict[int, dict[str, int]] = {}
    for zone_id, member_ids in zones_with_member_ids.items():
        sums = dict.fromkeys([*CATALOGUE_KEYS, *ZONE_METRICS], 0)
        for unit_id in member_ids:
            line = lines.get(unit_id)
            if line is None:
                continue
            for key in CATALOGUE_KEYS:
                sums[key] += int(line[key] or 0)
            for key in ZONE_METRICS:
                sums[key] += own[unit_id].get(key, 0)
        values[zone_id] = sums
    cols = columns()
    best = {}
    if len(values) > 1:
        for col in cols:
            figures = [v[col["key"]] for v in values.values()]
            target = max(figures) if col["higher_is_better"] else min(figures)
            if len(set(figures)) > 1:
                best[col["key"]] = [z for z, v in values.items() if v[col["key"]] == target]
    return {"period": chosen.key, "period_label": chosen.label, "columns": cols, "values": values, "best": best}
