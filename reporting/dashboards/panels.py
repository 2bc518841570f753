"""What a dashboard shows, read once per page through the roll-ups: headline cards per area, coverage
全覆盖, the weekly trend, the clearing stages and the ranking per child, the zeroing campaign's progress
and its phases. Each panel holds the numbers its chart draws and its table lists (the same numbers).
Numbers only: nothing here reads a record of a unit below (the campaign is read as the acting unit
sees it: its own, or received)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.directives.models import CampaignPhase, Directive
from core.extensions import db
from reporting import rollups
from reporting.figures import AREAS, CLEARING_STAGES, FIGURES, HEADLINE
from reporting.periods import Period, recent_weeks
from tenants.models import Unit
from tenants.scoping import path_ids

# The trend lines (one point per ISO week, the last TREND_WEEKS weeks).
TREND_KEYS = ("petitions.received", "petitions.concluded", "clearing.cleared", "zeroing.closed_out")
TREND_WEEKS = 12
STAGE_KEYS = tuple(f"clearing.stage.{s}" for s in CLEARING_STAGES)
# The campaign gauge's figures and what each phase shows (dated moves within the phase's dates).
CAMPAIGN_KEYS = ("zeroing.added_total", "zeroing.closed_out_total", "zeroing.stock", "zeroing.overdue",
                 "zeroing.progress")
PHASE_KEYS = ("zeroing.added", "zeroing.closed_out", "zeroing.reopened")
DEFAULT_RANK = "clearing.cleared"


def area_keys(area: str) -> list[str]:
    """The headline figures of one area, in the catalogue's order."""
    return [key for key in HEADLINE if FIGURES[key].area == area]


def display(key: str, value) -> str:
    """A figure as a person reads it: '—' when unknown (no campaign, no denominator), '92.5%' for shares."""
    if value is None:
        return "—"
    if FIGURES[key].unit == "%":
        return f"{value:.1f}%"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def label(key: str) -> str:
    return str(FIGURES[key].label)


@dataclass
class Headline:
    """The unit's figures for the period (its whole subtree) and who of its children is covered."""

    values: dict
    coverage: rollups.Coverage

    def areas(self) -> list[tuple[str, str, list[str]]]:
        return [(area, str(name), area_keys(area)) for area, name in AREAS.items()]


def headline(unit: Unit, period: Period, campaign_id: int | None, today: date) -> Headline:
    keys = [k for k in dict.fromkeys([*HEADLINE, *CAMPAIGN_KEYS]) if FIGURES[k].kind != "coverage"]
    result = rollups.rollup(unit, period, keys, campaign_id=campaign_id, today=today)
    coverage = rollups.coverage(unit, period, today=today)
    return Headline(result.values | {"clearing.coverage": coverage.share}, coverage)


@dataclass
class Trend:
    weeks: list[Period]
    series: dict[str, list]  # figure key -> one value per week

    def rows(self):
        return [(week, [self.series[key][i] for key in TREND_KEYS]) for i, week in enumerate(self.weeks)]


def trend(unit: Unit, campaign_id: int | None, today: date) -> Trend:
    """The flows of the last weeks, week by week."""
    weeks = recent_weeks(TREND_WEEKS, today)
    return Trend(weeks, rollups.trend(unit, list(TREND_KEYS), weeks, campaign_id=campaign_id, today=today))


def children(unit: Unit, period: Period, campaign_id: int | None, today: date, rank_by: str) -> list[rollups.Rollup]:
    """One line per child unit (its subtree) and the unit's own level 本级, with every figure the
    children's table, the stage bars and the ranking need."""
    keys = list(dict.fromkeys([*HEADLINE, *STAGE_KEYS, rank_by]))
    return rollups.children_rollup(unit, period, keys, campaign_id=campaign_id, today=today)


def line_name(line: rollups.Rollup) -> str:
    return _("%(name)s本级", name=line.unit.name) if line.own_level else line.unit.name


@dataclass
class PhaseLine:
    name: str
    starts_on: date
    ends_on: date
    started: bool
    current: bool
    values: dict


@dataclass
class Campaign:
    id: int
    title: str
    phases: list[PhaseLine]


def campaign(unit: Unit, campaign_id: int | None, today: date) -> Campaign | None:
    """The zeroing campaign the figures speak of, with what moved within each of its phases."""
    if not campaign_id:
        return None
    directive = db.session.scalar(select(Directive).where(Directive.id == campaign_id))
    if directive is None:
        return None
    phases = []
    for phase in db.session.scalars(select(CampaignPhase).where(CampaignPhase.directive_id == campaign_id)
                                    .order_by(CampaignPhase.starts_on, CampaignPhase.id)):
        started = phase.starts_on <= today
        values = rollups.rollup(unit, Period("range", phase.starts_on, phase.ends_on), list(PHASE_KEYS),
                                campaign_id=campaign_id, today=today).values if started else {}
        phases.append(PhaseLine(phase.name, phase.starts_on, phase.ends_on, started,
                                phase.starts_on <= today <= phase.ends_on, values))
    return Campaign(directive.id, directive.title, phases)


def trail(acting: Unit, target: Unit) -> list[Unit]:
    """The breadcrumb: the acting unit down to the target, level by level."""
    ids = path_ids(target.path)
    ids = ids[ids.index(acting.id):] if acting.id in ids else [target.id]
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [units[i] for i in ids if i in units]


def chart_data(*, head: Headline, trend_panel: Trend, lines: list[rollups.Rollup] | None,
               ranking: list | None, rank_by: str, drill_links: dict[int, str], camp: Campaign | None) -> dict:
    """The JSON the page's script draws from: the same numbers as the tables beside the charts."""
    data: dict = {
        "trend": {"title": _("近%(n)s周趋势", n=TREND_WEEKS),
                  "categories": [week.short_label for week in trend_panel.weeks],
                  "series": [{"name": label(k), "values": trend_panel.series[k]} for k in TREND_KEYS]},
    }
    if lines:
        data["stages"] = {"categories": [line_name(line) for line in lines],
                          "links": [None if line.own_level else drill_links.get(line.unit.id) for line in lines],
                          "series": [{"name": label(k), "values": [line[k] for line in lines]} for k in STAGE_KEYS]}
    if ranking is not None:
        ranked_lines = [(rank, line) for rank, line in ranking if rank]
        data["ranking"] = {"figure": label(rank_by), "unit": FIGURES[rank_by].unit,
                           "categories": [line_name(line) for _rank, line in ranked_lines],
                           "links": [drill_links.get(line.unit.id) for _rank, line in ranked_lines],
                           "values": [line[rank_by] for _rank, line in ranked_lines]}
    if camp is not None:
        data["gauge"] = {"name": label("zeroing.progress"), "value": head.values.get("zeroing.progress")}
        data["phases"] = {"categories": [phase.name for phase in camp.phases],
                          "series": [{"name": label(k), "values": [phase.values.get(k) for phase in camp.phases]}
                                     for k in PHASE_KEYS]}
    return data
