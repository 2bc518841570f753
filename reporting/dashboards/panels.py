"""What a dashboard shows, read once per page through the roll-ups: headline cards per area, coverage
全覆盖, the weekly trend, the clearing stages and the ranking per child, the zeroing campaign's progress
and its phases, the villages' grades, plans and on-site meetings by child unit (at a county: by township,
with the movement between its last two grading rounds and its meetings' issues by township). Each panel
holds the numbers its chart draws and its table lists (the same numbers). Numbers only: nothing here
reads a record of a unit below (the campaign is read as the acting unit sees it: its own, or received;
the county's rounds and meetings are counted by their areas' queries, as the county reads them)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.directives.models import CampaignPhase, Directive
from core.extensions import db
from core.meetings import queries as meeting_queries
from core.villages import queries as village_queries
from core.villages.workflow import GRADE_LABELS, GRADES
from reporting import rollups
from reporting.figures import AREAS, CLEARING_STAGES, FIGURES, HEADLINE
from reporting.periods import Period, recent_weeks
from tenants.models import Unit, UnitLevel
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


# ---------------------------------------------------------------- 清廉村居 and 现场办公会 by child unit

GRADE_KEYS = ("villages.grade.a", "villages.grade.b", "villages.grade.c")
PLAN_KEYS = ("villages.grade.c", "villages.c_with_plan", "villages.plan_items.open", "villages.plan_items.overdue",
             "villages.plan_items.closed")
MEETING_KEYS = ("meetings.held", "meetings.issues", "meetings.issues.answered_on_site", "meetings.issues.open",
                "meetings.issues.overdue", "meetings.issues.resolved")
# What moved within the period (this period beside the one before).
CHANGE_KEYS = ("villages.lifted_from_c", "villages.plan_items.closed", "meetings.held", "meetings.issues",
               "meetings.issues.answered_on_site", "meetings.issues.resolved")
VILLAGE_KEYS = tuple(dict.fromkeys(("villages.count", *GRADE_KEYS, *PLAN_KEYS, "villages.lifted_from_c",
                                    *MEETING_KEYS)))
# A county's meetings by township: the query's counts beside the figures they make up.
TOWN_COUNTS = (("meetings", "meetings.held"), ("issues", "meetings.issues"),
               ("answered", "meetings.issues.answered_on_site"), ("open", "meetings.issues.open"),
               ("overdue", "meetings.issues.overdue"), ("resolved", "meetings.issues.resolved"))
BODY_COUNTS = ("registered", "open", "overdue", "resolved")
MOVE_KINDS = ("up", "same", "down", "new", "pending", "lifted_from_c")
ALL_TIME = date(rollups.FIRST_YEAR, 1, 1)


def count_label(name: str) -> str:
    """The columns of counts that are not catalogue figures."""
    return str({"ungraded": _("未评定"), "closed_total": _("累计销号"), "registered": _("登记交办"),
                "open": _("办理中"), "overdue": _("逾期"), "resolved": _("已办结"), "up": _("提升"), "same": _("保持"),
                "down": _("下降"), "new": _("首次评定"), "pending": _("本轮未评定"), "lifted_from_c": _("C类摘帽")}[name])


def grade_name(grade: str | None, side: str) -> str:
    if grade:
        return str(GRADE_LABELS[grade])
    return _("上轮未评定") if side == "before" else _("本轮未评定")


@dataclass
class VillageLine:
    """One child unit (its subtree) or the unit's own level, with the figures and the counts beside them."""

    name: str
    unit_id: int | None
    own_level: bool
    values: dict

    def __getitem__(self, key: str):
        return self.values.get(key)


@dataclass
class Villages:
    """Villages' grades, C villages' plans and on-site meetings of a county, city or province by child unit
    (from the roll-ups) and what moved within the period; at a county also the movement between its last two
    grading rounds and its meetings' issues by township (the areas' counting queries)."""

    unit: Unit
    by_township: bool
    lines: list[VillageLine]
    total: VillageLine
    change: list[tuple[str, int | None, int | None]]  # (figure, this period, the one before)
    moves: village_queries.RoundMoves | None = None
    towns: list[tuple[int, str]] = field(default_factory=list)
    meeting_rows: list[VillageLine] = field(default_factory=list)  # a county: by the meeting's township
    body_rows: list[VillageLine] = field(default_factory=list)  # a county: by the township registered with

    @property
    def move_rows(self) -> list[tuple[str, dict, dict, dict]]:
        """(township, previous round's grades, current round's, move kinds), then the county's total."""
        if self.moves is None:
            return []
        rows = [(name, self.moves.grades(tid, "previous"), self.moves.grades(tid, "current"), self.moves.kinds(tid))
                for tid, name in self.towns]
        return rows + [(_("合计"), self.moves.grades(None, "previous"), self.moves.grades(None, "current"),
                        self.moves.kinds(None))]

    def matrix(self) -> list[tuple[str | None, list[tuple[str | None, int]]]]:
        """The county's moves as a table: each earlier grade (or none) against each later grade (or none)."""
        if self.moves is None:
            return []
        return [(before, [(after, self.moves.count(None, before, after)) for after in (*GRADES, None)])
                for before in (*GRADES, None)]

    def aim(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """巩固A类、提升B类、消灭C类 read from the moves."""
        if self.moves is None:
            return []
        def n(before: str, after: str) -> int:
            return self.moves.count(None, before, after)

        return [(_("巩固A类"), [(_("保持A类"), n("A", "A")), (_("降为B类"), n("A", "B")), (_("降为C类"), n("A", "C"))]),
                (_("提升B类"), [(_("升为A类"), n("B", "A")), (_("保持B类"), n("B", "B")), (_("降为C类"), n("B", "C"))]),
                (_("消灭C类"), [(_("升为A类"), n("C", "A")), (_("升为B类"), n("C", "B")), (_("仍为C类"), n("C", "C"))])]


def _line(name: str, unit_id: int | None, own: bool, values: dict, closed_total) -> VillageLine:
    values = dict(values)
    graded = sum(values.get(k) or 0 for k in GRADE_KEYS)
    values["ungraded"] = max(0, (values.get("villages.count") or 0) - graded)
    values["closed_total"] = closed_total or 0
    return VillageLine(name, unit_id, own, values)


def villages(unit: Unit, period: Period, today: date) -> Villages | None:
    """The panel of a county, city or province (None for a township or a stationed group)."""
    if unit.level not in (UnitLevel.COUNTY, UnitLevel.CITY, UnitLevel.PROVINCE):
        return None
    keys = list(VILLAGE_KEYS)
    ever = Period("range", ALL_TIME, today)
    lines = rollups.children_rollup(unit, period, keys, today=today)
    closed = {(r.unit.id, r.own_level): r["villages.plan_items.closed"]
              for r in rollups.children_rollup(unit, ever, ["villages.plan_items.closed"], today=today)}
    # The unit's own level holds no village (villages are townships' records) and, above a county, no meeting:
    # shown only where it holds something (a county's own meetings are shown by township instead).
    county = unit.level == UnitLevel.COUNTY
    own_keys = [k for k in keys if not (county and k.startswith("meetings."))]
    shown = []
    for r in lines:
        if not r.own_level and r.unit.level == UnitLevel.STATIONED:
            continue  # a stationed group (派驻组) has no village nor meeting
        if r.own_level and not any(r[k] for k in own_keys):
            continue
        shown.append(_line(line_name(r), None if r.own_level else r.unit.id, r.own_level, r.values,
                           closed.get((r.unit.id, r.own_level))))
    total_now = rollups.rollup(unit, period, keys, today=today)
    before = rollups.rollup(unit, period.previous(), list(CHANGE_KEYS), today=today)
    ever_total = rollups.rollup(unit, ever, ["villages.plan_items.closed"], today=today)
    total = _line(_("合计"), None, False, total_now.values, ever_total["villages.plan_items.closed"])
    change = [(key, total_now[key], before[key]) for key in CHANGE_KEYS]
    panel = Villages(unit, unit.level == UnitLevel.COUNTY, shown, total, change)
    if unit.level == UnitLevel.COUNTY:
        panel.towns = [(kid.id, kid.name) for kid in rollups.children_of(unit) if kid.level == UnitLevel.TOWNSHIP]
        panel.moves = village_queries.round_moves(unit)
        counts = meeting_queries.issues_by_township(unit, period.since, period.until, today)
        known = dict(panel.towns)
        for tid in [*panel.moves.moves, *counts["by_meeting"], *(t for t in counts["by_body"] if t is not None)]:
            if tid not in known:  # a township archived since
                town = db.session.get(Unit, tid)
                known[tid] = town.name if town is not None else "—"
                panel.towns.append((tid, known[tid]))
        empty = Counter()
        panel.meeting_rows = [VillageLine(name, tid, False, dict(counts["by_meeting"].get(tid, empty)))
                              for tid, name in panel.towns]
        panel.meeting_rows.append(VillageLine(_("合计"), None, False, dict(sum(counts["by_meeting"].values(),
                                                                              Counter()))))
        panel.body_rows = [VillageLine(name, tid, False, dict(counts["by_body"].get(tid, empty)))
                           for tid, name in panel.towns]
        panel.body_rows.append(VillageLine(_("县直部门"), None, True, dict(counts["by_body"].get(None, empty))))
        panel.body_rows.append(VillageLine(_("合计"), None, False, dict(sum(counts["by_body"].values(), Counter()))))
    return panel


def village_chart_data(panel: Villages | None, drill_links: dict[int, str]) -> dict:
    """The JSON of the villages' charts: the same numbers as their tables."""
    if panel is None:
        return {}

    def links(lines):
        return [drill_links.get(line.unit_id) if line.unit_id else None for line in lines]

    names = [line.name for line in panel.lines]
    data: dict = {
        "village_grades": {"stack": True, "categories": names, "links": links(panel.lines),
                           "series": [{"name": label(k), "values": [line[k] for line in panel.lines]}
                                      for k in GRADE_KEYS]},
        "village_plans": {"stack": False, "categories": names, "links": links(panel.lines),
                          "series": [{"name": label("villages.plan_items.open"),
                                      "values": [line["villages.plan_items.open"] for line in panel.lines]},
                                     {"name": label("villages.plan_items.overdue"),
                                      "values": [line["villages.plan_items.overdue"] for line in panel.lines]},
                                     {"name": count_label("closed_total"),
                                      "values": [line["closed_total"] for line in panel.lines]}]},
    }
    if panel.moves is not None and panel.moves.current is not None:
        rows = panel.move_rows[:-1]
        data["village_moves"] = {"stack": True, "categories": [row[0] for row in rows], "links": [None] * len(rows),
                                 "series": [{"name": count_label(kind), "values": [row[3][kind] for row in rows]}
                                            for kind in ("up", "same", "down", "new", "pending")]}
    if panel.by_township:
        rows = panel.meeting_rows[:-1]
        data["meeting_issues"] = {"stack": False, "categories": [row.name for row in rows], "links": [None] * len(rows),
                                  "series": [{"name": label(key), "values": [row.values.get(name, 0) for row in rows]}
                                             for name, key in TOWN_COUNTS[2:]]}
    else:
        data["meeting_issues"] = {"stack": False, "categories": names, "links": links(panel.lines),
                                  "series": [{"name": label(key), "values": [line[key] for line in panel.lines]}
                                             for key in MEETING_KEYS[2:]]}
    return data
