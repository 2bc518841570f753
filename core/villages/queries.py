"""Reads of villages for the pages, the API and the ledgers: the loaders (a township's villages, plans and items
are its own only; a grading reaches its township and its county; a round its county, and the townships below it
read it), the lists, and the ledgers (header and rows) of villages with their grades and of the plans' items."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core import calendar, context
from core.extensions import db
from core.villages.models import GradingRound, Village, VillageGrading, VillagePlan, VillagePlanItem, VillageReport
from core.villages.workflow import GRADE_LABELS, GRADES, ITEM_STATES, KIND_LABELS, PLAN_STATES, move, MOVE_LABELS
from tenants.access import Action, deny
from tenants.models import Unit, UnitLevel
from tenants.scoping import load_scoped


# ---------------------------------------------------------------- loaders (404 outside scope)


def load_village(village_id, action: Action, unit: Unit, account) -> Village:
    """A village of the acting township itself; else 404 (a sibling township, the county, another county)."""
    return load_scoped(Village, village_id, unit=unit, account=account, action=action, own=True)


def load_grading(grading_id, action: Action, unit: Unit, account) -> VillageGrading:
    """A grading of the acting township's village, or (for its county, the other party) of its townships'."""
    return load_scoped(VillageGrading, grading_id, unit=unit, account=account, action=action)


def load_own_grading(grading_id, action: Action, unit: Unit, account) -> VillageGrading:
    """A grading the acting township scores itself (its county only reads and confirms)."""
    return load_scoped(VillageGrading, grading_id, unit=unit, account=account, action=action, own=True)


def load_round(round_id, action: Action, unit: Unit, account, *, own: bool = True) -> GradingRound:
    """The county's round (``own``); with ``own=False`` also a round of the county above the acting township."""
    return load_scoped(GradingRound, round_id, unit=unit, account=account, action=action, own=own)


def load_plan(plan_id, action: Action, unit: Unit, account) -> VillagePlan:
    return load_scoped(VillagePlan, plan_id, unit=unit, account=account, action=action, own=True)


def load_item(plan: VillagePlan, item_id, action: Action, unit: Unit, account) -> VillagePlanItem:
    item = load_scoped(VillagePlanItem, item_id, unit=unit, account=account, action=action, own=True)
    if item.plan_id != plan.id:
        deny(action, unit=unit, object_type="village_plan_items", object_id=item_id)
    return item


# ---------------------------------------------------------------- lists


@dataclass
class VillageFilter:
    grade: str = ""  # A, B, C, or "none" (not graded yet)
    kind: str = ""
    q: str = ""  # part of the name or the code
    archived: bool = False  # the archived ones instead

    @classmethod
    def from_args(cls, args) -> VillageFilter:
        grade, kind = (args.get("grade") or "").strip(), (args.get("kind") or "").strip()
        return cls(grade=grade if grade in (*GRADES, "none") else "", kind=kind if kind in KIND_LABELS else "",
                   q=(args.get("q") or "").strip()[:50], archived=args.get("archived") in ("1", "true", "on"))

    def as_args(self) -> dict:
        return {k: v for k, v in (("grade", self.grade), ("kind", self.kind), ("q", self.q),
                                  ("archived", "1" if self.archived else "")) if v}


def list_query(unit: Unit, f: VillageFilter):
    """The township's villages, by code."""
    stmt = select(Village).where(Village.unit_id == unit.id,
                                 Village.archived_at.is_not(None) if f.archived else Village.archived_at.is_(None))
    if f.grade == "none":
        stmt = stmt.where(Village.grade.is_(None))
    elif f.grade:
        stmt = stmt.where(Village.grade == f.grade)
    if f.kind:
        stmt = stmt.where(Village.kind == f.kind)
    if f.q:
        stmt = stmt.where(or_(Village.name.contains(f.q, autoescape=True), Village.code.startswith(f.q, autoescape=True)))
    return stmt.order_by(Village.code)


def rounds_for(unit: Unit) -> list[GradingRound]:
    """The rounds a unit sees: a county its own, a township its county's; newest first."""
    owner = unit.id if unit.level != UnitLevel.TOWNSHIP else unit.parent_id
    return list(db.session.scalars(select(GradingRound).where(GradingRound.unit_id == owner)
                                   .order_by(GradingRound.opened_on.desc(), GradingRound.id.desc())))


def open_rounds_for(township: Unit) -> list[GradingRound]:
    return [r for r in rounds_for(township) if r.state == "open"]


def gradings_of_village(village: Village) -> list[VillageGrading]:
    """Every grading of the village, newest first (the ones in force are its grade history)."""
    return list(db.session.scalars(select(VillageGrading).where(VillageGrading.village_id == village.id)
                                   .order_by(VillageGrading.id.desc())))


def grade_history(village: Village) -> list[dict]:
    """The gradings in force, oldest first, each with its move (提升/下降/保持/首次评定)."""
    rows = db.session.scalars(select(VillageGrading).where(VillageGrading.village_id == village.id,
                                                           VillageGrading.state == "in_force")
                              .order_by(VillageGrading.in_force_on, VillageGrading.id))
    return [{"grading": g, "move": move(g.previous_grade, g.grade),
             "move_label": str(MOVE_LABELS[move(g.previous_grade, g.grade)])} for g in rows]


def gradings_of_round(round_: GradingRound, county: Unit, state: str = "") -> list[VillageGrading]:
    """The gradings of the county's round from all its townships (the county is their other party)."""
    stmt = select(VillageGrading).where(VillageGrading.round_id == round_.id, VillageGrading.county_id == county.id)
    if state:
        stmt = stmt.where(VillageGrading.state == state)
    return list(db.session.scalars(stmt.order_by(VillageGrading.unit_path, VillageGrading.village_code)))


def round_summary(gradings: list[VillageGrading]) -> dict:
    """The round's grades in force and the moves from each village's grade before it (巩固A类、提升B类、消灭C类)."""
    in_force = [g for g in gradings if g.state == "in_force"]
    grades = {grade: sum(1 for g in in_force if g.grade == grade) for grade in GRADES}
    moves = {key: sum(1 for g in in_force if move(g.previous_grade, g.grade) == key) for key in MOVE_LABELS}
    return {"total": len(gradings), "in_force": len(in_force), "grades": grades,
            "moves": [(str(label), moves[key]) for key, label in MOVE_LABELS.items()],
            "lifted_from_c": sum(1 for g in in_force if g.previous_grade == "C" and g.grade != "C")}


def pending_regrades(county: Unit) -> list[VillageGrading]:
    return list(db.session.scalars(select(VillageGrading).where(
        VillageGrading.county_id == county.id, VillageGrading.kind == "extraordinary",
        VillageGrading.state == "proposed").order_by(VillageGrading.id)))


def gradings_in_round(township: Unit, round_: GradingRound) -> dict[int, VillageGrading]:
    """village id -> its grading in the round, for the township's list."""
    return {g.village_id: g for g in db.session.scalars(select(VillageGrading).where(
        VillageGrading.unit_id == township.id, VillageGrading.round_id == round_.id))}


def plans_of_village(village: Village) -> list[VillagePlan]:
    return list(db.session.scalars(select(VillagePlan).where(VillagePlan.village_id == village.id)
                                   .order_by(VillagePlan.id.desc())))


def plans_of(unit: Unit) -> list[VillagePlan]:
    return list(db.session.scalars(select(VillagePlan).where(VillagePlan.unit_id == unit.id)
                                   .order_by(VillagePlan.state == "lifted", VillagePlan.id.desc())))


def reports_of(plan: VillagePlan) -> list[VillageReport]:
    return list(db.session.scalars(select(VillageReport).where(VillageReport.village_id == plan.village_id)
                                   .order_by(VillageReport.month.desc())))


# ---------------------------------------------------------------- ledgers (the export registry's rows)


def villages_header() -> list[str]:
    return [_("区划代码"), _("村（社区）名称"), _("类型"), _("党组织书记"), _("职务"), _("村（居）委会主任"), _("职务"), _("评定等次"),
            _("评定日期"), _("一村一方案")]


def villages_statement(unit: Unit, filters: dict, today: date | None = None):
    return list_query(unit, VillageFilter.from_args(filters))


def villages_rows(unit: Unit, filters: dict, today: date | None = None) -> Iterator[list]:
    """清廉村居台账: the township's villages with their grade in force and their plan's state."""
    plans = {p.village_id: p for p in db.session.scalars(select(VillagePlan).where(
        VillagePlan.unit_id == unit.id).order_by(VillagePlan.id))}
    for v in db.session.scalars(villages_statement(unit, filters, today)):
        plan = plans.get(v.id)
        yield [v.code, v.name, v.kind_label, v.secretary_name, v.secretary_position, v.head_name, v.head_position,
               str(GRADE_LABELS[v.grade]) if v.grade else _("未评定"), v.graded_on.isoformat() if v.graded_on else "",
               f"{plan.number}（{PLAN_STATES[plan.state]}）" if plan else ""]


def plan_items_header() -> list[str]:
    return [_("村（社区）"), _("督改单编号"), _("序号"), _("问题"), _("整改措施"), _("责任人"), _("职务"), _("整改时限"), _("状态"), _("销号日期"),
            _("销号依据")]


def plan_items_statement(unit: Unit, filters: dict, today: date | None = None):
    """The township's plans' items: ``state`` (open/closed), ``overdue`` (open past the deadline)."""
    today = today or calendar.today()
    stmt = (select(VillagePlanItem).join(VillagePlan, VillagePlan.id == VillagePlanItem.plan_id)
            .where(VillagePlanItem.unit_id == unit.id))
    state = filters.get("state") or ""
    if state in ITEM_STATES:
        stmt = stmt.where(VillagePlanItem.state == state)
    if filters.get("overdue") in ("1", "true", "on", True):
        stmt = stmt.where(VillagePlanItem.state == "open", VillagePlanItem.deadline < today)
    return stmt.order_by(VillagePlan.id, VillagePlanItem.seq)


def plan_items_rows(unit: Unit, filters: dict, today: date | None = None) -> Iterator[list]:
    """一村一方案问题清单 (销号管理)."""
    for item in db.session.scalars(plan_items_statement(unit, filters, today)):
        plan = item.plan
        yield [plan.village.name, plan.number, item.seq, item.problem, item.measure, item.responsible,
               item.responsible_position, item.deadline.isoformat(), str(ITEM_STATES[item.state]),
               item.closed_on.isoformat() if item.closed_on else "", item.evidence or ""]


# ---------------------------------------------------------------- the county's movement between rounds (numbers)


@dataclass
class RoundMoves:
    """The county's last two rounds with grades in force (newest first; either may be missing) and, per township,
    how many villages each move between them counts: ``moves[(before, after)]``, ``before`` the village's grade in
    force in the earlier round (None: not graded then, 首次评定), ``after`` in the later one (None: not graded in it
    yet). Numbers only: no village named."""

    current: GradingRound | None
    previous: GradingRound | None
    moves: dict[int, dict[tuple[str | None, str | None], int]]  # township id -> (before, after) -> villages

    def count(self, township_id: int | None, before, after) -> int:
        """Villages of one township (or of all, ``None``) that moved from ``before`` to ``after``."""
        rows = self.moves.values() if township_id is None else [self.moves.get(township_id, {})]
        return sum(row.get((before, after), 0) for row in rows)

    def grades(self, township_id: int | None, which: str) -> dict[str, int]:
        """Villages by grade in the ``current`` or ``previous`` round."""
        rows = self.moves.values() if township_id is None else [self.moves.get(township_id, {})]
        side = 1 if which == "current" else 0
        return {grade: sum(n for row in rows for key, n in row.items() if key[side] == grade) for grade in GRADES}

    def kinds(self, township_id: int | None) -> dict[str, int]:
        """The moves read as the county's aim has them (巩固A类、提升B类、消灭C类): up, same, down, new (first graded),
        pending (graded before, not yet in this round), lifted_from_c (C before, A or B now)."""
        rows = self.moves.values() if township_id is None else [self.moves.get(township_id, {})]
        out = {"up": 0, "same": 0, "down": 0, "new": 0, "pending": 0, "lifted_from_c": 0}
        for row in rows:
            for (before, after), n in row.items():
                out["pending" if after is None else move(before, after)] += n
                if before == "C" and after in ("A", "B"):
                    out["lifted_from_c"] += n
        return out


def round_moves(county: Unit) -> RoundMoves:
    """The villages' moves between the county's last two rounds with grades in force, counted by township from the
    gradings (the county is their other party: read as the county, so the county's ancestors reading its dashboard
    get the same numbers and nothing more)."""
    with context.acting(replace(context.current(), unit_id=county.id, unit_path=county.path), db.session):
        in_force = select(VillageGrading.id).where(VillageGrading.round_id == GradingRound.id,
                                                   VillageGrading.county_id == county.id,
                                                   VillageGrading.state == "in_force").exists()
        rounds = list(db.session.scalars(select(GradingRound).where(GradingRound.unit_id == county.id, in_force)
                                         .order_by(GradingRound.opened_on.desc(), GradingRound.id.desc()).limit(2)))
        grades: dict[int, dict[int, tuple[int, str]]] = {r.id: {} for r in rounds}  # round -> village -> (town, grade)
        if rounds:
            for town_id, village_id, round_id, grade in db.session.execute(
                    select(VillageGrading.unit_id, VillageGrading.village_id, VillageGrading.round_id,
                           VillageGrading.grade)
                    .where(VillageGrading.county_id == county.id, VillageGrading.state == "in_force",
                           VillageGrading.round_id.in_([r.id for r in rounds]))):
                grades[round_id][village_id] = (town_id, grade)
    current, previous = (rounds + [None, None])[:2]
    after = grades[current.id] if current else {}
    before = grades[previous.id] if previous else {}
    moves: dict[int, dict] = {}
    for village_id in after.keys() | before.keys():
        town_id = (after.get(village_id) or before[village_id])[0]
        key = (before[village_id][1] if village_id in before else None,
               after[village_id][1] if village_id in after else None)
        row = moves.setdefault(town_id, {})
        row[key] = row.get(key, 0) + 1
    return RoundMoves(current, previous, moves)
